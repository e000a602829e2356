// docker pause / unpause in the demo page with real containers: a WASI process (fixtures/wasi-tools)
// is held at its next syscall and its output stops until unpause; an x86 busybox loop stops with
// its emulator and goes on after unpause with the guest's clock right; stop and kill end paused
// containers of both kinds. Also: the working directory reaches a WASI program (via PWD) while
// absolute paths still resolve from the root.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type BrowserSession, launchChromium } from '../support/chromium.ts';

const registry = inject('registry');
const baseUrl = inject('baseUrl');
let s: BrowserSession;
const POLL = { timeout: 20_000, interval: 100 };

const docker = (cmd: string) => s.page.evaluate((c) => window.docker(c), cmd);
const logs = async (name: string) => (await docker(`docker logs ${name}`)).stdout;
const status = async (name: string) => (await docker(`docker inspect -f "{{.State.Status}} {{.State.Paused}} {{.State.ExitCode}}" ${name}`)).stdout.trim();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stdin = (name: string, text: string) =>
  s.page.evaluate(([n, t]) => window.engine.containers.writeStdin(n!, new TextEncoder().encode(t)), [name, text] as const);

beforeAll(async () => {
  s = await launchChromium();
  await s.page.goto(`${baseUrl}/demo/index.html?db=pause&noproxy`);
  await s.page.evaluate(() => window.engineReady);
  expect((await docker(`docker pull -q ${registry}/fixtures/wasi-tools`)).code).toBe(0);
  expect((await docker(`docker tag ${registry}/fixtures/wasi-tools tools`)).code).toBe(0);
});
afterAll(() => s?.close());

describe('docker pause of a WASI container', () => {
  it('holds an interactive program at its next syscall: what it reads is answered only after unpause', async () => {
    expect((await docker('docker run -d -i --name talk tools prompt')).code).toBe(0);
    await stdin('talk', 'one\n');
    await expect.poll(() => logs('talk'), POLL).toContain('you said: one\n');
    expect(await docker('docker pause talk')).toEqual({ code: 0, stdout: 'talk\n', stderr: '' });
    await stdin('talk', 'two\n');
    await sleep(1500);
    expect(await logs('talk')).not.toContain('two');
    expect((await docker('docker ps --filter status=paused --format "{{.Names}} {{.Status}}"')).stdout).toMatch(/^talk Up .+ \(Paused\)\n$/);
    expect(await docker('docker unpause talk')).toEqual({ code: 0, stdout: 'talk\n', stderr: '' });
    await expect.poll(() => logs('talk'), POLL).toContain('you said: two\n');
    // A paused WASI container stops: its Worker is ended, as a kill does.
    expect((await docker('docker pause talk')).code).toBe(0);
    expect(await docker('docker stop talk')).toEqual({ code: 0, stdout: 'talk\n', stderr: '' });
    expect(await status('talk')).toBe('exited false 143');
  });

  it('holds a sleeping program after its sleep, and a computing one keeps running until killed', async () => {
    expect((await docker('docker run -d --name nap tools sleep 800')).code).toBe(0);
    expect((await docker('docker pause nap')).code).toBe(0);
    await sleep(2000);
    expect(await logs('nap')).toBe('');
    expect(await status('nap')).toBe('paused true 0');
    expect((await docker('docker unpause nap')).code).toBe(0);
    expect(await docker('docker wait nap')).toEqual({ code: 0, stdout: '0\n', stderr: '' });
    expect(await logs('nap')).toBe('slept\n');

    // `spin` makes no syscall: the pause is recorded, the program is held at its next one (never).
    expect((await docker('docker run -d --name busy tools spin')).code).toBe(0);
    await expect.poll(() => logs('busy'), POLL).toBe('spinning\n');
    expect((await docker('docker pause busy')).code).toBe(0);
    expect(await docker('docker kill busy')).toEqual({ code: 0, stdout: 'busy\n', stderr: '' });
    await expect.poll(() => status('busy'), POLL).toBe('exited false 137');
  });
});

describe('docker pause of an x86 container', () => {
  it('stops the machine: no output while paused, and after unpause the guest’s clock is right', async () => {
    const run = await docker(`docker run -d --name clock busybox sh -c 'while true; do date +%s; sleep 0.2; done'`);
    expect(run.code, run.stderr).toBe(0);
    await expect.poll(async () => (await logs('clock')).split('\n').length, POLL).toBeGreaterThan(4);
    expect((await docker('docker pause clock')).code).toBe(0);
    await sleep(500); // what was on its way when it stopped
    const held = await logs('clock');
    await sleep(2000);
    expect(await logs('clock')).toBe(held);
    expect(await docker('docker exec clock true')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error response from daemon: Container clock is paused, unpause the container before exec\n',
    });

    expect((await docker('docker unpause clock')).code).toBe(0);
    // The first line may be one written before the stop that had not left the guest yet.
    const fresh = async () => (await logs('clock')).slice(held.length).split('\n').filter(Boolean);
    await expect.poll(async () => (await fresh()).length, POLL).toBeGreaterThan(3);
    const latest = Number((await fresh()).at(-1));
    // The guest's time went on while it was stopped: no lag of the 2.5 s it was paused.
    expect(Math.abs(latest - Date.now() / 1000)).toBeLessThanOrEqual(1.5);

    // sh as PID 1 ignores SIGTERM: the stop unpauses it, then kills it after the timeout, as Docker.
    expect((await docker('docker pause clock')).code).toBe(0);
    expect(await docker('docker stop -t 1 clock')).toEqual({ code: 0, stdout: 'clock\n', stderr: '' });
    expect(await status('clock')).toBe('exited false 137');
  });

  it('kill ends a paused x86 container', async () => {
    expect((await docker(`docker run -d --name idle busybox sh -c 'echo up; sleep 600'`)).code).toBe(0);
    await expect.poll(() => logs('idle'), POLL).toBe('up\n');
    expect((await docker('docker pause idle')).code).toBe(0);
    expect(await docker('docker kill idle')).toEqual({ code: 0, stdout: 'idle\n', stderr: '' });
    await expect.poll(() => status('idle'), POLL).toBe('exited false 137');
  });
});

describe('the working directory of a WASI program', () => {
  it('resolves relative paths there (the program changes to $PWD), absolute ones from the root', async () => {
    expect((await docker('docker create --name wd -w /data tools cat rel.txt /etc/motd')).code).toBe(0);
    await s.page.evaluate(() => window.dockerFiles.set('rel.txt', new TextEncoder().encode('in /data\n')));
    expect((await docker('docker cp rel.txt wd:/data/rel.txt')).code).toBe(0);
    expect(await docker('docker start -a wd')).toEqual({ code: 0, stdout: 'in /data\nmotd from layer 2\n', stderr: '' });
    // An image's WorkingDir does the same.
    expect((await docker('docker commit -c "WORKDIR /data" wd tools:workdir')).code).toBe(0);
    expect(await docker('docker run --rm tools:workdir cat rel.txt /etc/motd')).toEqual({ code: 0, stdout: 'in /data\nmotd from layer 2\n', stderr: '' });
  });
});

// The docker CLI's container, volume and node commands in the demo page (window.docker), with WASI
// containers really running on the node Workers: fixtures/wasi-tools (/bin/tools.wasm multi-call).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type BrowserSession, launchChromium } from '../support/chromium.ts';

const registry = inject('registry');
const baseUrl = inject('baseUrl');
let s: BrowserSession;
/** The engine and the page may be slow when the machine is busy. */
const POLL = { timeout: 15_000 };

const docker = (cmd: string, stdin?: string) => s.page.evaluate(([c, i]) => window.docker(c!, i === undefined ? {} : { stdin: i }), [cmd, stdin] as const);
const fileText = (path: string) => s.page.evaluate((p) => new TextDecoder().decode(window.dockerFiles.get(p) ?? new Uint8Array()), path);

beforeAll(async () => {
  s = await launchChromium();
  await s.page.goto(`${baseUrl}/demo/index.html?db=cli-containers&noproxy`);
  await s.page.evaluate(() => window.engineReady);
  expect((await docker(`docker pull -q ${registry}/fixtures/wasi-tools`)).code).toBe(0);
  expect((await docker(`docker tag ${registry}/fixtures/wasi-tools tools`)).code).toBe(0);
});
afterAll(() => s?.close());

describe('docker run in the browser', () => {
  it('execs in a running container, and copies and diffs its files', async () => {
    await docker('docker run -d --name box tools spin');
    expect(await docker('docker exec box tools write /tmp/note hi')).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await docker('docker exec box tools cat /tmp/note')).toEqual({ code: 0, stdout: 'hi\n', stderr: '' });
    expect((await docker('docker exec box tools exit 5')).code).toBe(5);
    expect((await docker('docker exec box nothere')).code).toBe(127);
    expect(await docker('docker exec -i box tools cat', 'via exec\n')).toEqual({ code: 0, stdout: 'via exec\n', stderr: '' });
    expect((await docker('docker diff box')).stdout).toContain('A /tmp/note\n');
    expect((await docker('docker cp box:/tmp/note note.txt')).code).toBe(0);
    expect(await fileText('note.txt')).toBe('hi\n');
    await s.page.evaluate(() => window.dockerFiles.set('in.txt', new TextEncoder().encode('copied in')));
    expect(await docker('docker cp in.txt box:/tmp/')).toEqual({ code: 0, stdout: '', stderr: '' });
    expect((await docker('docker exec box tools cat /tmp/in.txt')).stdout).toBe('copied in');
    expect((await docker('docker rm -f box')).code).toBe(0);
  });

  it('starts a created container with what was copied into it before its first start', async () => {
    expect((await docker('docker create --name fresh tools cat /tmp/in.txt')).code).toBe(0);
    await s.page.evaluate(() => window.dockerFiles.set('in.txt', new TextEncoder().encode('before the first start')));
    expect((await docker('docker cp in.txt fresh:/tmp/')).code).toBe(0);
    expect(await docker('docker start -a fresh')).toEqual({ code: 0, stdout: 'before the first start', stderr: '' });
    expect((await docker('docker rm fresh')).code).toBe(0);
  });

  it('runs a WASI container attached: output, exit status, the image’s command', async () => {
    expect(await docker('docker run tools echo hello world')).toEqual({ code: 0, stdout: 'hello world\n', stderr: '' });
    expect(await docker('docker run tools')).toEqual({ code: 0, stdout: 'hello\n', stderr: '' });
    expect(await docker('docker run --rm tools exit 3')).toEqual({ code: 3, stdout: '', stderr: '' });
    expect(await docker('docker run --rm tools cat /etc/motd')).toEqual({ code: 0, stdout: 'motd from layer 2\n', stderr: '' });
    const r = await docker('docker run --rm tools cat /nope');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^tools: cat: \/nope: /);
  });

  it('gives the process its environment, working directory and stdin', async () => {
    const env = (await docker('docker run --rm -e FOO=bar -h box1 tools env')).stdout.split('\n');
    expect(env).toEqual(expect.arrayContaining(['FOO=bar', 'GREETING=hello-tools', 'HOSTNAME=box1', 'PATH=/bin']));
    expect(await docker('docker run --rm -w /data tools pwd')).toEqual({ code: 0, stdout: '/data\n', stderr: '' });
    expect(await docker('docker run --rm -i tools cat', 'piped in\n')).toEqual({ code: 0, stdout: 'piped in\n', stderr: '' });
    expect(await docker('docker run --rm -i tools prompt', 'one\ntwo\n')).toEqual({ code: 0, stdout: '> you said: one\n> you said: two\n> bye\n', stderr: '' });
  });

  it('exits 127 for a missing command and 126 for a module that cannot run, pulling what is missing', async () => {
    expect(await docker('docker run --rm --entrypoint /bin/nope tools')).toEqual({
      code: 127,
      stdout: '',
      stderr: expect.stringMatching(/^docker: Error response from daemon: .*\/bin\/nope.*\.\n$/),
    });
    const bad = `${registry}/fixtures/wasi-bad`;
    const r = await docker(`docker run --rm ${bad}`);
    expect(r.code).toBe(126);
    expect(r.stderr).toMatch(new RegExp(`^Unable to find image '${bad}:latest' locally\\nlatest: Pulling from fixtures/wasi-bad\\n`));
    expect(r.stderr).toContain(`Status: Downloaded newer image for ${bad}:latest\n`);
    expect(r.stderr).toMatch(/\ndocker: Error response from daemon: .+\.\n$/);
  });

  it('keeps data in volumes across containers', async () => {
    expect((await docker('docker run --rm -v data:/vol tools write /vol/f persisted')).code).toBe(0);
    expect(await docker('docker run --rm -v data:/vol tools cat /vol/f')).toEqual({ code: 0, stdout: 'persisted\n', stderr: '' });
    expect((await docker('docker volume ls --format "{{.Driver}} {{.Name}}"')).stdout).toContain('local data\n');
    expect((await docker('docker volume rm data')).stdout).toBe('data\n');
  });

  it('lists the nodes and places containers on them', async () => {
    const ls = await docker('docker node ls');
    expect(ls.stdout).toMatch(/^ID +HOSTNAME +STATUS +AVAILABILITY +CONTAINERS\n\w+ +node-1 +Ready +Active +\d+\n\w+ +node-2 +Ready +Active +\d+\n$/);
    expect((await docker('docker run --rm --constraint node.name==node-2 tools echo placed')).stdout).toBe('placed\n');
    await docker('docker run -d --name on2 --constraint node.name==node-2 tools spin');
    expect((await docker('docker node ls --format "{{.Hostname}} {{.Containers}}" -f name=node-2')).stdout).toBe('node-2 1\n');
    await docker('docker rm -f on2');
  });

  it('runs detached: ps, logs, stop, start, rm', async () => {
    const id = (await docker('docker run -d --name spinner tools spin')).stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect((await docker('docker ps --format "{{.ID}} {{.Names}} {{.State}}"')).stdout).toBe(`${id.slice(0, 12)} spinner running\n`);
    await expect.poll(async () => (await docker('docker logs spinner')).stdout, POLL).toBe('spinning\n');
    expect((await docker('docker top spinner')).stdout).toMatch(/\n\S+ +\d+ .* \/bin\/tools(\.wasm)? spin\n$/);
    expect(await docker('docker stop -t 2 spinner')).toEqual({ code: 0, stdout: 'spinner\n', stderr: '' });
    expect((await docker('docker inspect -f "{{.State.Status}} {{.State.ExitCode}}" spinner')).stdout).toBe('exited 143\n');
    expect((await docker('docker start spinner')).stdout).toBe('spinner\n');
    expect((await docker('docker ps -q')).stdout).toBe(`${id.slice(0, 12)}\n`);
    expect(await docker('docker kill spinner')).toEqual({ code: 0, stdout: 'spinner\n', stderr: '' });
    expect((await docker('docker wait spinner')).stdout).toBe('137\n');
    expect(await docker('docker rm spinner')).toEqual({ code: 0, stdout: 'spinner\n', stderr: '' });
  });
});

// The demo page end to end: built-in offline images, the docker CLI through window.docker,
// the terminal, persistence across a reload, and the Nodes panel (tasks per node, crash).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type BrowserSession, launchChromium } from '../support/chromium.ts';

const registry = inject('registry');
const baseUrl = inject('baseUrl');
let s: BrowserSession;

declare global {
  interface Window {
    docker(cmdline: string): Promise<{ code: number; stdout: string; stderr: string }>;
    engineReady: Promise<void>;
  }
}

const docker = (cmd: string) => s.page.evaluate((c) => window.docker(c), cmd);

beforeAll(async () => {
  s = await launchChromium();
  await s.page.setViewportSize({ width: 1280, height: 800 });
  await s.page.goto(`${baseUrl}/demo/index.html?db=demo-e2e&noproxy`);
  await s.page.evaluate(() => window.engineReady);
});
afterAll(() => s?.close());

describe('demo page', () => {
  it('comes with the built-in images, offline', async () => {
    const r = await docker('docker images --format "{{.Repository}}:{{.Tag}}"');
    expect(r).toEqual({ code: 0, stdout: 'busybox:latest\nhello:latest\nruby:latest\nweb:latest\n', stderr: '' });
  });

  it('pulls from a registry with Docker-style output and lists the image', async () => {
    const r = await docker(`docker pull ${registry}/fixtures/sibling:latest`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Already exists/);
    expect(r.stdout).toMatch(/Pull complete/);
    expect(r.stdout).toMatch(/Status: Downloaded newer image for .*fixtures\/sibling:latest/);
    const ls = await docker('docker images');
    expect(ls.stdout.split('\n')[0]).toMatch(/^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
    expect(ls.stdout).toContain(`${registry}/fixtures/sibling`);
  });

  it('answers errors with Docker’s messages and exit codes', async () => {
    expect(await docker('docker rmi nope')).toMatchObject({ code: 1, stderr: 'Error response from daemon: No such image: nope:latest\n' });
    expect((await docker('docker frobnicate')).code).toBe(1);
    expect((await docker('docker pull --bogus x')).code).toBe(125);
  });

  it('types a command into the terminal and shows its output', async () => {
    await s.page.locator('.xterm').click();
    await s.page.keyboard.type('docker image inspect -f "{{.Os}}/{{.Architecture}}" busybox');
    await s.page.keyboard.press('Enter');
    await expect.poll(() => s.page.locator('.xterm-rows').innerText(), { timeout: 10_000 }).toContain('linux/386');
    await s.page.screenshot({ path: '.cache/demo.png' });
  });

  it('builds a folder picked in the Files panel, either way, with BuildKit’s terminal display', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'picked-')), 'site');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nCOPY sub/greeting.txt /greeting.txt\nCMD ["cat", "/greeting.txt"]\n');
    writeFileSync(join(dir, 'sub', 'greeting.txt'), 'from a picked folder\n');
    // <input webkitdirectory>: the files come with their paths under the folder's name.
    await s.page.setInputFiles('.folder-input', dir);
    await expect
      .poll(() => s.page.evaluate(() => window.dockerFiles.list().filter((p) => p.startsWith('site/'))))
      .toEqual(['site/Dockerfile', 'site/sub/greeting.txt']);
    // The File System Access picker, given a real directory handle (the origin's private file system).
    await s.page.evaluate(async () => {
      const root = await navigator.storage.getDirectory();
      const ctx = await root.getDirectoryHandle('fsa-ctx', { create: true });
      const write = async (d: FileSystemDirectoryHandle, name: string, text: string) => {
        const w = await (await d.getFileHandle(name, { create: true })).createWritable();
        await w.write(text);
        await w.close();
      };
      await write(ctx, 'Dockerfile', 'FROM site\nCOPY extra.txt /extra.txt\n');
      await write(await ctx.getDirectoryHandle('.git', { create: true }), 'HEAD', 'ref: x\n');
      await write(ctx, 'extra.txt', 'via the picker\n');
      (window as unknown as { showDirectoryPicker: () => Promise<FileSystemDirectoryHandle> }).showDirectoryPicker = async () => ctx;
    });
    await s.page.getByRole('button', { name: 'Folder' }).click();
    await expect
      .poll(() => s.page.evaluate(() => window.dockerFiles.list().filter((p) => p.startsWith('fsa-ctx/'))))
      .toEqual(['fsa-ctx/Dockerfile', 'fsa-ctx/extra.txt']);
    await s.page.locator('.xterm').click();
    await s.page.keyboard.type('docker build -t site site');
    await s.page.keyboard.press('Enter');
    await expect.poll(() => s.page.locator('.xterm-rows').innerText(), { timeout: 60_000 }).toMatch(/\[\+\] Building [\d.]+s \(\d+\/\d+\) FINISHED/);
    expect(await s.page.locator('.xterm-rows').innerText()).toMatch(/=> \[2\/2\] COPY sub\/greeting.txt \/greeting.txt +[\d.]+s/);
    expect((await docker('docker build -q -t fsa fsa-ctx')).code).toBe(0);
    expect((await docker('docker run --rm fsa cat /greeting.txt /extra.txt')).stdout).toBe('from a picked folder\nvia the picker\n');
    expect((await docker('docker rmi fsa site')).code).toBe(0);
  });

  it('keeps images across a reload', async () => {
    await s.page.reload();
    await s.page.evaluate(() => window.engineReady);
    const r = await docker('docker images -q --no-trunc');
    expect(r.stdout.trim().split('\n')).toHaveLength(5);
  });

  it('runs the built-in images: WASI hello, Ruby, and busybox under x86 emulation', async () => {
    expect(await docker('docker run --rm hello')).toMatchObject({ code: 0, stdout: expect.stringContaining('hello from wasm32-wasi') });
    const ruby = await docker(`docker run --rm ruby -e 'puts 1+1; puts RUBY_VERSION; exit 3'`);
    expect(ruby.stderr).toBe('');
    expect(ruby).toMatchObject({ code: 3, stdout: expect.stringMatching(/^2\n3\.4\.\d+\n$/) });
    const bad = await docker(`docker run --rm ruby -e 'raise "boom"'`);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('boom (RuntimeError)');
    // Configured as Docker Hub's busybox: the command is the whole argv.
    expect(await docker("docker run --rm busybox sh -c 'echo ok'")).toEqual({ code: 0, stdout: 'ok\n', stderr: '' });
    const x86 = await docker("docker run --rm busybox sh -c 'uname -m; id -un'");
    expect(x86).toMatchObject({ code: 0, stdout: 'i686\nroot\n' });
  });

  it('shows each node’s service tasks, and their move when a node is crashed from the Nodes panel', async () => {
    expect((await docker('docker service create -d --name pan --replicas 2 --stop-grace-period 1s web')).code).toBe(0);
    const chips = () =>
      s.page.evaluate(() =>
        Object.fromEntries(
          [...document.querySelectorAll<HTMLElement>('.panel .item[data-name^="node-"]')].map((row) => [
            row.dataset['name']!,
            [...row.querySelectorAll('.task-chip')].map((c) => c.textContent).join(' '),
          ]),
        ),
      );
    await expect.poll(async () => Object.values(await chips()).sort(), { timeout: 20_000 }).toEqual(['pan.1', 'pan.2']);
    const before = await chips();
    const victim = Object.keys(before).find((n) => before[n] === 'pan.1')!;
    const other = Object.keys(before).find((n) => before[n] === 'pan.2')!;
    await s.page.locator(`.item[data-name="${victim}"] button`, { hasText: 'crash' }).click();
    await expect.poll(chips, { timeout: 20_000 }).toEqual({ [victim]: '', [other]: 'pan.1 pan.2' });
    await expect.poll(() => s.page.locator(`.item[data-name="${victim}"] .item-meta`).innerText()).toMatch(/^down · 0 containers$/);
    expect((await docker('docker service rm pan')).code).toBe(0);
    expect((await docker(`docker node rm --force ${victim}`)).code).toBe(0);
    expect((await docker('docker node create')).code).toBe(0);
  });

  it('says why when an x86 container cannot start: a damaged guest kit', async () => {
    // A page of its own whose guest state arrives cut short, as a broken download or disk leaves it.
    const b = await launchChromium();
    try {
      await b.context.route('**/guest/state-*.gzip', (r) => r.fulfill({ body: gzipSync(Buffer.alloc(1 << 20, 7)).subarray(0, 512) }));
      await b.page.goto(`${baseUrl}/demo/index.html?db=demo-damaged-kit&noproxy`);
      await b.page.evaluate(() => window.engineReady);
      const run = (cmd: string) => b.page.evaluate((c) => window.docker(c), cmd);
      const r = await run("docker run --rm busybox sh -c 'echo hi'");
      expect(r.code).toBe(125);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(
        /^docker: Error response from daemon: failed to create task for container: the x86 guest kit's state .*state-128\.gzip is damaged \(.+\); build it with .*\.\n$/,
      );
      // --rm leaves nothing behind, and WASI containers still run.
      expect((await run('docker ps -aq')).stdout).toBe('');
      expect(await run('docker run --rm hello')).toMatchObject({ code: 0 });
    } finally {
      await b.close();
    }
  });
});

// linux/386 containers in real Chromium: the guest kit's saved machine restored in a guest
// Worker, the container's root from IndexedDB over 9p, processes run by the guest's shim.
// Drives node/x86/x86-node.ts (the x86 half of a node agent) from the harness page.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ProcessSpec } from '../../core/protocol.ts';
import { type BrowserSession, launchChromium, openHarness } from '../support/chromium.ts';
import { type RunningRegistry, startRegistry } from '../support/registry.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
if (!existsSync(path.join(root, 'demo/public/guest/kit.json'))) {
  throw new Error('the x86 guest kit is missing (demo/public/guest/kit.json): run `bash scripts/guest-kit/build.sh`');
}
const debianData = path.join(root, '.cache/fixtures-x86/registry-data');
if (!existsSync(debianData)) {
  throw new Error('the Debian i386 fixture image is missing (.cache/fixtures-x86): run `bash test/fixtures/build-x86-images.sh`');
}
const registry = inject('registry');
const baseUrl = inject('baseUrl');
const busybox = `${registry}/fixtures/busybox:latest`;
const DB = 'x86';

interface Outcome {
  stdout: string;
  stderr: string;
  code: number;
  error?: string;
  firstOutputMs?: number;
  exitMs: number;
}
interface SpecInput {
  argv: string[];
  containerId?: string;
  processId?: string;
  env?: string[];
  cwd?: string;
  uid?: number;
  gid?: number;
  tty?: boolean;
  openStdin?: boolean;
  memoryLimit?: number;
}
/** The page side (below, as a module): X86Node plus bookkeeping of output and exits. */
interface PageX86 {
  spec(image: string, s: SpecInput): Promise<ProcessSpec>;
  start(spec: ProcessSpec): Promise<string>;
  write(id: string, text: string | null): Promise<void>;
  kill(id: string, signal: number): Promise<void>;
  resize(id: string, columns: number, rows: number): Promise<void>;
  waitFor(id: string, text: string, timeoutMs?: number): Promise<string>;
  result(id: string): Promise<Outcome>;
  /** What starting a container says when the guest kit at `kitUrl` is missing. */
  kitError(image: string, kitUrl: string): Promise<string>;
}
declare global {
  var X: PageX86;
}

const PAGE_MODULE = `
import { X86Node } from '/node/x86/x86-node.ts';
const node = new X86Node();
const procs = new Map();
const dec = new TextDecoder();
let seq = 0;
window.X = {
  async kitError(image, kitUrl) {
    const spec = await window.X.spec(image, { argv: ['/bin/true'] });
    try {
      return await new Promise((resolve, reject) =>
        new X86Node(kitUrl).spawn(spec, (e) => e.type === 'exit' && resolve(e.error ?? '')).catch(reject));
    } catch (e) {
      return e.message;
    }
  },
  async spec(image, s) {
    const img = await E.images.resolve(image);
    const id = 'x' + (++seq) + Math.random().toString(36).slice(2, 8);
    return {
      processId: s.processId ?? s.containerId ?? id, containerId: s.containerId ?? id, dbName: '${DB}',
      chainIds: img.chainIds, mounts: [], argv: s.argv,
      env: s.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      cwd: s.cwd ?? '/', uid: s.uid ?? 0, gid: s.gid ?? 0, hostname: 'x86-test',
      tty: s.tty ?? false, openStdin: s.openStdin ?? false, memoryLimit: s.memoryLimit ?? 0,
    };
  },
  async start(spec) {
    const p = { stdout: '', stderr: '', t0: performance.now(), listeners: new Set() };
    p.exit = new Promise((resolve) => (p.done = resolve));
    procs.set(spec.processId, p);
    await node.spawn(spec, (e) => {
      const t = performance.now() - p.t0;
      if (e.type === 'exit') { p.exitMs = t; p.done(e); }
      else if (e.type === 'stdout' || e.type === 'stderr') {
        p.firstOutputMs ??= t;
        p[e.type] += dec.decode(e.data);
        for (const l of p.listeners) l();
      }
    });
    return spec.processId;
  },
  write: (id, text) => node.writeStdin(id, text === null ? null : new TextEncoder().encode(text)),
  kill: (id, signal) => node.kill(id, signal),
  resize: (id, c, r) => node.resize(id, c, r),
  waitFor(id, text, timeoutMs = 20000) {
    const p = procs.get(id);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for ' + JSON.stringify(text) + '; output: ' + JSON.stringify(p.stdout + p.stderr))), timeoutMs);
      const check = () => {
        if (!(p.stdout + p.stderr).includes(text)) return;
        clearTimeout(timer); p.listeners.delete(check); resolve(p.stdout);
      };
      p.listeners.add(check); check();
    });
  },
  async result(id) {
    const p = procs.get(id);
    const e = await p.exit;
    procs.delete(id);
    return { stdout: p.stdout, stderr: p.stderr, code: e.code, error: e.error, firstOutputMs: p.firstOutputMs, exitMs: p.exitMs };
  },
};
`;

let s: BrowserSession;
let debianRegistry: RunningRegistry;
let debian: string;

async function openPage(): Promise<void> {
  await openHarness(s.page, baseUrl, DB);
  await s.page.evaluate(async () => {
    globalThis.E = await T.open();
  });
  await s.page.addScriptTag({ type: 'module', content: PAGE_MODULE });
  await s.page.waitForFunction(() => (window as unknown as { X?: unknown }).X !== undefined);
}

const run = (image: string, spec: SpecInput) =>
  s.page.evaluate(async ([image, spec]) => X.result(await X.start(await X.spec(image, spec))), [image, spec] as const);

beforeAll(async () => {
  debianRegistry = await startRegistry({ dataDir: debianData, readOnly: true });
  debian = `${debianRegistry.host}/fixtures/debian-bash:latest`;
  s = await launchChromium();
  s.page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') console.log('[page]', m.text());
  });
  await openPage();
  await s.page.evaluate((ref) => E.images.pull(ref).then(() => undefined), busybox);
});
afterAll(async () => {
  await s?.close();
  await debianRegistry?.stop();
});

describe('busybox (fixtures/busybox, linux/386)', () => {
  it("runs the image's entrypoint and command as its user, in its working directory", async () => {
    const r = await run(busybox, {
      argv: [
        '/bin/sh',
        '-c',
        'echo "$GREETING from $(uname -m) as $(id -un) in $(pwd)"; cat /hello.txt; ls /opt/data; test -e /etc/deleteme.txt || echo whiteout-ok',
      ],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'GREETING=hello-386'],
      cwd: '/home/app',
      uid: 1000,
      gid: 1000,
    });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe('hello-386 from i686 as app in /home/app\nhello from layer 2\nc.txt\nwhiteout-ok\n');
    console.log(`x86 busybox: first output ${r.firstOutputMs?.toFixed(0)} ms, exit ${r.exitMs.toFixed(0)} ms`);
  });

  it('says how to build the guest kit when it is missing', async () => {
    const message = await s.page.evaluate((image) => X.kitError(image, '/no-such-guest-kit/'), busybox);
    expect(message).toMatch(/x86 guest kit is missing .*bash scripts\/guest-kit\/build\.sh/);
  });

  it('reports exit codes: 0, 3, 127 for a missing command, 137 after SIGKILL', async () => {
    expect((await run(busybox, { argv: ['/bin/true'] })).code).toBe(0);
    expect((await run(busybox, { argv: ['/bin/sh', '-c', 'exit 3'] })).code).toBe(3);
    const missing = await run(busybox, { argv: ['no-such-command'] });
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain('executable file not found in $PATH');
    expect((await run(busybox, { argv: ['/bin/sh', '-c', 'no-such-command'] })).code).toBe(127);
    const killed = await s.page.evaluate(async (ref) => {
      const id = await X.start(await X.spec(ref, { argv: ['/bin/sh', '-c', 'echo up; exec sleep 100'] }));
      await X.waitFor(id, 'up');
      await X.kill(id, 9);
      return X.result(id);
    }, busybox);
    expect(killed.code).toBe(137);
  });

  it('keeps stdout and stderr apart, and passes env, working directory and user', async () => {
    const r = await run(busybox, {
      argv: ['/bin/sh', '-c', 'echo out; echo err >&2; echo "$FOO $(pwd) $(id -u):$(id -g) $(hostname)"'],
      env: ['PATH=/bin:/usr/bin', 'FOO=bar baz'],
      cwd: '/tmp',
      uid: 1000,
      gid: 65534,
    });
    expect(r).toMatchObject({ code: 0, stdout: 'out\nbar baz /tmp 1000:65534 x86-test\n', stderr: 'err\n' });
  });

  it('carries large output whole and in order over the virtio console, with the exit after it', async () => {
    const r = await run(busybox, { argv: ['/bin/sh', '-c', 'seq 1 100000; echo end >&2; exit 4'] });
    const lines = r.stdout.split('\n');
    expect({ code: r.code, stderr: r.stderr, lines: lines.length, last: lines.at(-2) }).toEqual({ code: 4, stderr: 'end\n', lines: 100_001, last: '100000' });
    expect(lines.every((l, i) => i === 100_000 || l === String(i + 1))).toBe(true);
  });

  it('stops on the stop signal when the process handles it (PID 1 ignores what it does not)', async () => {
    const r = await s.page.evaluate(async (ref) => {
      const id = await X.start(await X.spec(ref, { argv: ['/bin/sh', '-c', 'trap "echo bye; exit 0" TERM; echo ready; while :; do sleep 1; done'] }));
      await X.waitFor(id, 'ready');
      await X.kill(id, 15);
      return X.result(id);
    }, busybox);
    expect(r).toMatchObject({ code: 0, stdout: 'ready\nbye\n' });
  });

  it('keeps the files a container wrote across a page reload', async () => {
    const containerId = `persist-${Date.now()}`;
    const first = await run(busybox, {
      containerId,
      argv: [
        '/bin/sh',
        '-c',
        // /data/a (the first name, stored as the file) goes once the others are saved as links to it.
        'mkdir -p /data && echo kept > /data/f && ln -s f /data/link && ln /data/f /data/hard && ln /data/f /data/a && sync && sleep 1.5 && rm /data/a && chmod 600 /data/f && rm /etc/hl-a.txt && mv /hello.txt /moved.txt',
      ],
    });
    expect(first).toMatchObject({ code: 0, stderr: '' });
    const layer = await s.page.evaluate(async (id) => {
      const all = await T.db(E).getAll('fsEntries', IDBKeyRange.bound([`c:${id}`, ''], [`c:${id}`, '\uffff']));
      return all.map((e) => `${e.path} ${e.type}`).sort();
    }, containerId);
    expect(layer).toEqual(
      expect.arrayContaining([
        '/data dir',
        '/data/f file',
        '/data/hard hardlink',
        '/data/link symlink',
        '/etc/hl-a.txt whiteout',
        '/hello.txt whiteout',
        '/moved.txt file',
      ]),
    );

    await s.page.reload();
    await openPage();
    const again = await run(busybox, {
      containerId,
      argv: [
        '/bin/sh',
        '-c',
        'cat /data/f /data/hard; readlink /data/link; stat -c "%a %h" /data/f; echo through-hard >> /data/hard; cat /data/f; ls /data/a; cat /moved.txt; ls /etc/hl-a.txt /hello.txt',
      ],
    });
    // Still one file with two names: a write through one is read through the other.
    expect(again.stdout).toBe('kept\nkept\nf\n600 2\nkept\nthrough-hard\nhello from layer 2\n');
    expect(again.stderr).toMatch(/hl-a\.txt.*No such file/);
  });

  it('keeps the inflated machine in the Cache API: after a reload, a new node neither fetches nor inflates the state', async () => {
    expect(await run(busybox, { argv: ['/bin/echo', 'first'] })).toMatchObject({ code: 0, stdout: 'first\n' });
    const { sha256 } = await s.page.evaluate(async () => (await (await fetch('/guest/kit.json')).json()).files['state-128.gzip']);
    const kept = () =>
      s.page.evaluate(async () => (await (await caches.open('x86-guest-states')).keys()).map((r) => `${new URL(r.url).pathname}${new URL(r.url).search}`));
    await expect.poll(kept).toEqual([`/guest/state-128.gzip?inflated=${sha256}`]);
    const fetched: string[] = [];
    const onRequest = (r: { url(): string }) => {
      if (r.url().includes('/guest/state-')) fetched.push(r.url());
    };
    s.context.on('request', onRequest);
    try {
      await s.page.reload();
      await openPage();
      expect(await run(busybox, { argv: ['/bin/echo', 'restored'] })).toMatchObject({ code: 0, stdout: 'restored\n' });
    } finally {
      s.context.off('request', onRequest);
    }
    expect(fetched).toEqual([]);
  });

  it('replaces one name of the image’s hard-linked pair without changing the other, in later starts too', async () => {
    const containerId = `hardlinks-${Date.now()}`;
    const sh = (script: string) => run(busybox, { containerId, argv: ['/bin/sh', '-c', script] });
    // As docker cp over a file does: a new file in that name.
    expect(await sh('stat -c %h /etc/hl-b.txt; echo replaced > /tmp/new && mv /tmp/new /etc/hl-a.txt')).toMatchObject({ code: 0, stdout: '2\n' });
    expect(await sh('echo appended >> /etc/hl-b.txt; stat -c %h /etc/hl-b.txt')).toMatchObject({ code: 0, stdout: '1\n' });
    expect((await sh('cat /etc/hl-a.txt /etc/hl-b.txt')).stdout).toBe('replaced\nhardlinked content\nappended\n');
  });

  it('runs `exec` processes in the running container', async () => {
    const r = await s.page.evaluate(async (ref) => {
      const main = await X.spec(ref, { argv: ['/bin/sh', '-c', 'echo main > /tmp/main; echo ready; exec sleep 100'] });
      await X.start(main);
      await X.waitFor(main.processId, 'ready');
      const exec = await X.spec(ref, {
        containerId: main.containerId,
        processId: `${main.containerId}-exec`,
        argv: ['/bin/sh', '-c', 'cat /tmp/main; echo $$; ps -o pid,args | grep -c sleep'],
      });
      const e = await X.result(await X.start(exec));
      await X.kill(main.processId, 9);
      return { exec: e, main: await X.result(main.processId) };
    }, busybox);
    expect(r.exec.code).toBe(0);
    const [file, pid, sleeps] = r.exec.stdout.trim().split('\n');
    expect(file).toBe('main');
    expect(Number(pid)).toBeGreaterThan(1); // the entrypoint is PID 1 of the container
    expect(Number(sleeps)).toBeGreaterThanOrEqual(1);
    expect(r.main.code).toBe(137);
  });

  it('runs an interactive shell on a terminal: echo, Ctrl-C, resize, exit', async () => {
    const r = await s.page.evaluate(async (ref) => {
      const sp = await X.spec(ref, { argv: ['/bin/sh'], tty: true, openStdin: true, env: ['PATH=/bin:/usr/bin', 'PS1=$ '] });
      const id = await X.start(sp);
      await X.waitFor(id, '$ ');
      await X.write(id, 'echo hi-$((6*7))\n');
      await X.waitFor(id, 'hi-42');
      await X.write(id, 'sleep 50\n');
      await new Promise((r) => setTimeout(r, 300));
      await X.write(id, '\x03'); // Ctrl-C: SIGINT from the guest's line discipline
      await X.resize(id, 100, 40);
      // The guest echoes typed input as it arrives: wait for a marker after tty's line, or `exit`
      // would be echoed into it.
      await X.write(id, 'stty size; tty; echo end-$((1+1))\n');
      await X.waitFor(id, 'end-2');
      await X.write(id, 'exit 5\n');
      return X.result(id);
    }, busybox);
    expect(r.code).toBe(5);
    expect(r.stdout).toContain('hi-42');
    expect(r.stdout).toContain('^C');
    expect(r.stdout).toMatch(/\r\n40 100\r\n\/dev\/pts\/\d+\r\n/);
  });
});

describe('Debian i386 packages (fixtures/debian-bash)', () => {
  it('runs a dynamically linked bash on libc6', async () => {
    await s.page.evaluate((ref) => E.images.pull(ref).then(() => undefined), debian);
    const r = await run(debian, { argv: ['bash', '-c', 'echo $BASH_VERSION; cat /etc/debian_version; ls --version | head -1'] });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const [version, debianVersion, ls] = r.stdout.trim().split('\n');
    expect(version).toMatch(/^5\.2\.\d+\(1\)-release$/);
    expect(debianVersion).toMatch(/^12\./);
    expect(ls).toContain('GNU coreutils');
    console.log(`x86 bash: first output ${r.firstOutputMs?.toFixed(0)} ms, exit ${r.exitMs.toFixed(0)} ms`);
  });
});

// x86 containers in Node: the guest kit's saved machine restored under v86, the container's root
// served over 9p from an Engine database (fake-indexeddb), processes run by the guest's shim.
// What the browser tests cannot see quickly: filesystem semantics persisted to the writable layer,
// stdin flow control, output integrity, memory limits.
import 'fake-indexeddb/auto';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ProcessSpec } from '../../core/protocol.ts';
import { listScope } from '../../core/store/fs-entries.ts';
import { Engine, engineInternals } from '../../engine/engine.ts';
import { ContainerSession, type MachineImage, type SessionEvent } from '../../node/x86/container-session.ts';
import { Guest } from '../../node/x86/guest.ts';
import { DEFAULT_MEMORY_MIB } from '../../node/x86/guest-options.ts';
import { fixturesDir } from '../support/registry.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const kitState = path.join(root, `.cache/guest-kit/state-${DEFAULT_MEMORY_MIB}.gzip`);
if (!existsSync(kitState)) throw new Error('the x86 guest kit is missing (.cache/guest-kit): run `bash scripts/guest-kit/build.sh`');

let engine: Engine;
let image: MachineImage;
let chainIds: ProcessSpec['chainIds'];
let seq = 0;

beforeAll(async () => {
  engine = await Engine.open({ dbName: `x86-unit-${process.pid}` });
  await engine.images.load(new Uint8Array(readFileSync(path.join(fixturesDir(), 'archives/busybox-docker.tar'))));
  chainIds = (await engine.images.resolve('fixtures/busybox:latest')).chainIds;
  const { gunzipSync } = await import('node:zlib');
  const raw = gunzipSync(readFileSync(kitState));
  image = {
    module: await WebAssembly.compile(readFileSync(path.join(root, 'node_modules/v86/build/v86.wasm'))),
    state: raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength) as ArrayBuffer,
    memoryMiB: DEFAULT_MEMORY_MIB,
  };
});

interface Result {
  stdout: string;
  stderr: string;
  code: number;
  oomKilled: boolean;
}

/** Runs one container to its end; `stdin` is fed (then end of file) when given. */
async function run(argv: string[], o: { containerId?: string; stdin?: Uint8Array; memoryLimit?: number } = {}): Promise<Result> {
  const containerId = o.containerId ?? `c${++seq}`;
  const out = { stdout: [] as Uint8Array[], stderr: [] as Uint8Array[] };
  let done!: (r: Result) => void;
  const finished = new Promise<Result>((r) => (done = r));
  let exit: (SessionEvent & { type: 'exit' }) | undefined;
  const session = new ContainerSession((e) => {
    if (e.type === 'stdout' || e.type === 'stderr') out[e.type].push(e.data);
    else if (e.type === 'exit') exit = e;
    else if (e.type === 'ended') {
      const text = (parts: Uint8Array[]) => Buffer.concat(parts).toString();
      done({ stdout: text(out.stdout), stderr: text(out.stderr), code: exit!.code, oomKilled: !!exit!.oomKilled });
    }
  });
  const spec: ProcessSpec = {
    processId: containerId,
    containerId,
    dbName: '',
    chainIds,
    mounts: [],
    argv,
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    cwd: '/',
    uid: 0,
    gid: 0,
    hostname: 'unit',
    tty: false,
    openStdin: o.stdin !== undefined,
    memoryLimit: o.memoryLimit ?? 0,
  };
  await session.run(engineInternals(engine).db, spec, image);
  if (o.stdin) {
    session.write(containerId, o.stdin);
    session.write(containerId, null);
  }
  return finished;
}

describe('x86 container filesystem (9p over the layered store)', () => {
  it('persists writes, renames, deletions, links, modes and owners to the writable layer', async () => {
    const containerId = 'fs-semantics';
    const first = await run(
      [
        '/bin/sh',
        '-c',
        [
          'mkdir -p /w/sub && echo one > /w/a && echo two > /w/sub/b',
          'mv /w/a /w/renamed && ln /w/renamed /w/hard && ln -s renamed /w/soft',
          'chmod 4711 /w/renamed && chown 1000:65534 /w/sub/b',
          'rm -r /opt/long && rm /usr/local/bin/bb && mv /opt/replaceme /opt/moved',
          'echo appended >> /etc/os-release && : > /hello.txt && mkfifo /w/fifo',
        ].join(' && '),
      ],
      { containerId },
    );
    expect(first).toMatchObject({ code: 0, stderr: '' });
    const layer = new Map((await listScope(engineInternals(engine).db, `c:${containerId}`)).map((e) => [e.path, e]));
    expect(layer.get('/opt/long')?.type).toBe('whiteout');
    expect(layer.get('/usr/local/bin/bb')?.type).toBe('whiteout');
    expect(layer.get('/opt/replaceme')?.type).toBe('whiteout');
    // Hard links are stored as a tar stores them: the first name holds the file.
    expect(layer.get('/w/hard')).toMatchObject({ type: 'file', mode: 0o4711, size: 4 });
    expect(layer.get('/w/renamed')).toMatchObject({ type: 'hardlink', linkTarget: '/w/hard' });
    expect(layer.get('/w/sub/b')).toMatchObject({ uid: 1000, gid: 65534 });
    expect(layer.get('/w/soft')).toMatchObject({ type: 'symlink', linkTarget: 'renamed' });
    expect(layer.get('/w/fifo')?.type).toBe('fifo');
    expect(layer.get('/hello.txt')).toMatchObject({ type: 'file', size: 0 });

    const again = await run(
      [
        '/bin/sh',
        '-c',
        'cat /w/renamed /w/hard /w/soft /w/sub/b; stat -c "%a %u:%g" /w/renamed /w/sub/b; ls /opt; tail -1 /usr/lib/os-release; wc -c < /hello.txt; ls /opt/moved; test -p /w/fifo && echo fifo',
      ],
      { containerId },
    );
    expect(again.stderr).toBe('');
    expect(again.stdout).toBe('one\none\none\ntwo\n4711 0:0\n644 1000:65534\ndata\nmoved\nappended\n0\ninside.txt\nfifo\n');
  });

  it('carries large output intact and in order', async () => {
    const r = await run(['/bin/sh', '-c', 'seq 1 30000; seq 1 30000 | md5sum >&2']);
    const seqText = Array.from({ length: 30000 }, (_, i) => `${i + 1}\n`).join('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(seqText);
    expect(r.stderr).toBe(`${createHash('md5').update(seqText).digest('hex')}  -\n`);
  });

  it('feeds stdin with flow control (more than the guest serial buffer holds)', async () => {
    const input = new Uint8Array(200_000).map((_, i) => (i * 7) & 0xff);
    const r = await run(['/bin/sh', '-c', 'md5sum; echo done >&2'], { stdin: input });
    expect(r).toMatchObject({ code: 0, stdout: `${createHash('md5').update(input).digest('hex')}  -\n`, stderr: 'done\n' });
  });

  it('limits memory with the cgroup and reports an OOM kill', async () => {
    // busybox sh keeps a growing variable in memory: 64 MiB does not fit in 24 MiB.
    const r = await run(['/bin/sh', '-c', 'x=0123456789abcdef; while :; do x=$x$x; done'], { memoryLimit: 24 << 20 });
    expect(r).toMatchObject({ code: 137, oomKilled: true });
  });
});

describe('the guest kit as built', () => {
  const kit = JSON.parse(readFileSync(path.join(root, '.cache/guest-kit/kit.json'), 'utf8')) as {
    inputs: { kernel: { release: string } };
    modules: string[];
  };

  it('runs the kernel kit.json names, with the modules it lists loaded', async () => {
    const r = await run(['/bin/sh', '-c', 'uname -r; cut -d" " -f1 /proc/modules']);
    expect(r.code).toBe(0);
    const [release, ...loaded] = r.stdout.trim().split('\n');
    expect(release).toBe(kit.inputs.kernel.release);
    expect([...loaded].sort()).toEqual([...kit.modules].sort());
  });

  it('reports the guest’s own reason when it cannot mount the container’s root', async () => {
    // A 9p server that refuses everything (Rlerror EIO): the guest's mount fails, and says why.
    const guest = await Guest.start({
      state: image.state,
      memoryMiB: image.memoryMiB,
      wasm: async (imports) => (await WebAssembly.instantiate(image.module, imports)).exports,
      handle9p: (req, reply) => {
        const r = new Uint8Array(11);
        const v = new DataView(r.buffer);
        v.setUint32(0, 11, true);
        r[4] = 7; // Rlerror
        r.set(req.subarray(5, 7), 5); // the request's tag
        v.setUint32(7, 5, true); // EIO
        reply(r);
      },
    });
    try {
      await expect(guest.init({ hostname: 'broken', memoryLimit: 0 })).rejects.toThrow('the guest could not set up the container: mount 9p: I/O error');
    } finally {
      await guest.destroy();
    }
  });
});

// Containers through the engine in the demo page: files that survive a stop and a page reload,
// storage freed by rm, and failover when a node crashes.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type BrowserSession, launchChromium } from '../support/chromium.ts';
import { loadTree } from '../support/registry.ts';

const registry = inject('registry');
const baseUrl = inject('baseUrl');
const tools = `${registry}/fixtures/wasi-tools:latest`;
let s: BrowserSession;

const docker = (cmd: string) => s.page.evaluate((c) => window.docker(c), cmd);
const open = async () => {
  await s.page.goto(`${baseUrl}/demo/index.html?db=containers-engine&noproxy`);
  await s.page.evaluate(() => window.engineReady);
};
/** Records in one of the engine's IndexedDB stores, read beside the engine (its database is not part of its API). */
const count = (store: 'fsEntries' | 'files' | 'containers' | 'logs') =>
  s.page.evaluate(
    (st) =>
      new Promise<number>((resolve, reject) => {
        const open = indexedDB.open('containers-engine');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const req = open.result.transaction(st).objectStore(st).count();
          req.onsuccess = () => {
            open.result.close();
            resolve(req.result);
          };
          req.onerror = () => reject(req.error);
        };
      }),
    store,
  );

beforeAll(async () => {
  s = await launchChromium();
  await open();
  expect((await docker(`docker pull -q ${tools}`)).code).toBe(0);
});
afterAll(() => s?.close());

describe('containers through the engine', () => {
  it('keeps a container’s files across stop, page reload and start; rm frees them', async () => {
    const before = { entries: await count('fsEntries'), files: await count('files') };
    expect(await docker(`docker run --name keep ${tools} append /note.txt hello`)).toMatchObject({ code: 0 });
    await s.page.reload();
    await s.page.evaluate(() => window.engineReady);
    expect((await docker('docker ps -a --filter name=keep --format "{{.Status}}"')).stdout).toMatch(/^Exited \(0\)/);
    expect(await docker('docker start -a keep')).toMatchObject({ code: 0 });
    const cp = await docker('docker cp keep:/note.txt note.txt');
    expect(cp.code, cp.stderr).toBe(0);
    const note = await s.page.evaluate(() =>
      new TextDecoder().decode((window as unknown as { dockerFiles: { get(p: string): Uint8Array } }).dockerFiles.get('note.txt')),
    );
    expect(note).toBe('hello\nhello\n');
    expect((await docker('docker diff keep')).stdout).toBe('A /note.txt\n');
    expect(await count('fsEntries')).toBeGreaterThan(before.entries);

    expect(await docker('docker rm keep')).toMatchObject({ code: 0, stdout: 'keep\n' });
    expect({ entries: await count('fsEntries'), files: await count('files') }).toEqual(before);
  });

  it('restarts a container on another node when its node crashes', async () => {
    const run = await docker(`docker run -d --name svc --restart always ${tools} spin`);
    expect(run.code, run.stderr).toBe(0);
    const nodeOf = async () => (await docker('docker inspect -f "{{.Node}} {{.State.Status}} {{.RestartCount}}" svc')).stdout.trim().split(' ');
    const [first, state] = await nodeOf();
    expect(state).toBe('running');
    await s.page.evaluate((n) => (window as unknown as { engine: { nodes: { crash(n: string): void } } }).engine.nodes.crash(n!), first);
    await expect.poll(async () => (await nodeOf()).join(' '), { timeout: 10_000 }).toMatch(/^node-\d+ running 1$/);
    const [second] = await nodeOf();
    expect(second).not.toBe(first);
    expect((await docker(`docker node ls --format "{{.Hostname}} {{.Status}}" --filter name=${first}`)).stdout).toContain(`${first} Down`);
    expect((await docker('docker rm -f svc')).code).toBe(0);
  });

  it('shows an x86 container exactly the merged tree the host’s umoci unpack gives', async () => {
    const list = await docker(
      `docker run --rm -u 0 busybox sh -c "find / -xdev | xargs stat -c '%n|%F|%a|%u|%g|%s|%N'; find / -xdev -type f | xargs sha256sum"`,
    );
    expect(list.code, list.stderr).toBe(0);
    const seen = new Map<string, { type: string; mode: number; uid: number; gid: number; size: number; link?: string; sha256?: string }>();
    const lines = list.stdout.trim().split('\n');
    for (const line of lines.filter((l) => l.includes('|'))) {
      const [path, type, mode, uid, gid, size, quoted] = line.split('|') as [string, string, string, string, string, string, string];
      const link = / -> '(.*)'$/.exec(quoted)?.[1];
      seen.set(path, { type, mode: parseInt(mode, 8), uid: +uid, gid: +gid, size: +size, ...(link !== undefined ? { link } : {}) });
    }
    for (const line of lines.filter((l) => !l.includes('|'))) {
      const [sha, path] = line.split(/\s+/) as [string, string];
      seen.get(path)!.sha256 = sha;
    }
    const host = loadTree('busybox');
    const TYPE = { file: 'regular file', dir: 'directory', symlink: 'symbolic link' } as const;
    // /proc, /sys and /dev are mounted over in the guest, as under Docker: their own roots show.
    const MOUNTED = new Set(['/proc', '/sys', '/dev']);
    // Docker's own files, mounted over the image's: the container's hostname, hosts and resolv.conf.
    const DOCKERS = new Set(['/etc/hostname', '/etc/hosts', '/etc/resolv.conf']);
    for (const path of DOCKERS) expect(seen.get(path)?.type, path).toBe('regular file');
    for (const [path, h] of Object.entries(host)) {
      if (MOUNTED.has(path) || DOCKERS.has(path)) continue;
      const g = seen.get(path);
      expect(g, path).toBeDefined();
      expect(g!.type, path).toBe(TYPE[h.type]);
      expect([g!.uid, g!.gid], path).toEqual([h.uid, h.gid]);
      if (h.type === 'symlink') expect(g!.link, path).toBe(h.linkTarget);
      else expect(g!.mode, path).toBe(h.mode);
      if (h.type === 'file') expect([g!.size, g!.sha256], path).toEqual([h.size, h.sha256]);
    }
    // Nothing else but the root itself.
    expect([...seen.keys()].filter((p) => !(p in host) && !DOCKERS.has(p))).toEqual(['/']);
  });

  it('shares a volume between an x86 and a WASI container, both ways', async () => {
    // A new volume's root belongs to root, and the image runs as `app`: write as root, as under Docker.
    expect(await docker(`docker run --rm -u 0 -v shared:/data busybox sh -c 'echo from-x86 > /data/x86.txt'`)).toMatchObject({ code: 0 });
    expect(await docker(`docker run --rm -v shared:/data ${tools} cat /data/x86.txt`)).toMatchObject({ code: 0, stdout: 'from-x86\n' });
    expect(await docker(`docker run --rm -v shared:/data ${tools} write /data/wasi.txt from-wasi`)).toMatchObject({ code: 0 });
    expect(await docker(`docker run --rm -v shared:/data busybox sh -c 'cat /data/wasi.txt'`)).toMatchObject({ code: 0, stdout: 'from-wasi\n' });
  });
});

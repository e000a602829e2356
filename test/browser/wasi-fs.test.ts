// The container filesystem: the image's layers plus the writable layer plus mounts, lazily
// read, written back to IndexedDB on close and at exit, so the next process of the container,
// another node, and a reloaded page see the changes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWasiSession, type WasiSession } from './wasi-session.ts';

let s: WasiSession;
beforeAll(async () => {
  s = await openWasiSession('wasi-fs', { jspi: true, fallback: false, other: true });
});
afterAll(() => s?.close());

const tools = (...args: string[]) => ['/bin/tools.wasm', ...args];
const scope = (name: string) => s.page.evaluate((n) => N.scope(n), name);

describe.each(['jspi', 'fallback'])('on the %s path', (node) => {
  const c = `fs-${node}`;

  it('shows the image with its layers stacked (a changed file, a whiteout, symlinks)', async () => {
    expect((await s.run(node, { argv: tools('cat', '/etc/motd', '/data/motd-link'), containerId: c })).stdout).toBe('motd from layer 2\nmotd from layer 2\n');
    const ls = await s.run(node, { argv: tools('ls', '/data'), containerId: c });
    expect(ls.stdout).toBe('big.bin\nmotd-link -> /etc/motd\nsmall/\n');
    expect((await s.run(node, { argv: tools('ls', '/bin'), containerId: c })).stdout).toBe('tools -> tools.wasm\ntools.wasm\n');
    expect((await s.run(node, { argv: tools('ls', '/'), containerId: c })).stdout).toBe('bin/\ndata/\nempty/\netc/\ntmp/\n');
  });

  it('fails with the errno POSIX gives', async () => {
    const err = async (...args: string[]) => (await s.run(node, { argv: tools(...args), containerId: c })).stderr;
    expect(await err('rm', '/data/small')).toContain('Directory not empty');
    expect(await err('mkdir', '/etc')).toContain('File exists');
    expect(await err('cat', '/data')).toContain('Is a directory');
    expect(await err('mv', '/data/small', '/data/small/inside')).toContain('Invalid argument');
    expect(await err('cat', '/data/small/0001.txt/x')).toContain('Not a directory');
    expect(await err('readlink', '/etc/motd')).toContain('Invalid argument');
    expect(await err('ln', '-s', 'x', '/bin/tools')).toContain('File exists');
  });

  it('keeps what a process wrote for the next process of the same container only', async () => {
    expect((await s.run(node, { argv: tools('write', '/tmp/note.txt', 'first'), containerId: c })).code).toBe(0);
    expect((await s.run(node, { argv: tools('append', '/tmp/note.txt', 'second'), containerId: c })).code).toBe(0);
    expect((await s.run(node, { argv: tools('cat', '/tmp/note.txt'), containerId: c })).stdout).toBe('first\nsecond\n');
    const other = await s.run(node, { argv: tools('cat', '/tmp/note.txt'), containerId: `${c}-other` });
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('No such file or directory');
  });

  it('records mkdir, symlink, rename, set-times and deletions as the writable layer', async () => {
    const steps = [
      ['mkdir', '/work'],
      ['write', '/work/a.txt', 'A'],
      ['ln', '-s', '../etc/motd', '/work/motd'],
      ['mv', '/work/a.txt', '/work/b.txt'],
      ['touch', '/work/b.txt', '1234567890'],
      ['rm', '/etc/motd'],
      ['rm', '/data/small/0300.txt'],
      ['write', '/data/small/0001.txt', 'changed'],
    ];
    for (const st of steps) expect((await s.run(node, { argv: tools(...st), containerId: c })).code, st.join(' ')).toBe(0);
    expect((await s.run(node, { argv: tools('ls', '/work'), containerId: c })).stdout).toBe('b.txt\nmotd -> ../etc/motd\n');
    expect((await s.run(node, { argv: tools('stat', '/work/b.txt'), containerId: c })).stdout).toBe('file 2 1234567890\n');
    expect((await s.run(node, { argv: tools('readlink', '/work/motd'), containerId: c })).stdout).toBe('../etc/motd\n');
    const gone = await s.run(node, { argv: tools('cat', '/work/motd'), containerId: c });
    expect(gone.stderr).toContain('No such file or directory');
    expect((await s.run(node, { argv: tools('cat', '/data/small/0001.txt'), containerId: c })).stdout).toBe('changed\n');

    const layer = Object.fromEntries((await scope(`c:${c}`)).map((e) => [e.path, e.type]));
    expect(layer).toMatchObject({
      '/work': 'dir',
      '/work/b.txt': 'file',
      '/work/motd': 'symlink',
      '/etc/motd': 'whiteout',
      '/data/small/0300.txt': 'whiteout',
      '/data/small/0001.txt': 'file',
      '/tmp/note.txt': 'file',
    });
    expect(layer['/work/a.txt']).toBeUndefined();
    // Unchanged image files are never copied up.
    expect(layer['/data/small/0002.txt']).toBeUndefined();
  });

  it('moves an image directory: a whiteout for the old name, the same contents under the new one', async () => {
    const m = `${c}-mv`;
    expect((await s.run(node, { argv: tools('mv', '/data/small', '/data/moved'), containerId: m })).code).toBe(0);
    expect((await s.run(node, { argv: tools('ls', '/data'), containerId: m })).stdout).toBe('big.bin\nmotd-link -> /etc/motd\nmoved/\n');
    expect((await s.run(node, { argv: tools('cat', '/data/moved/0005.txt'), containerId: m })).stdout).toBe('small file 0005\n');
    const layer = await scope(`c:${m}`);
    expect(layer.find((e) => e.path === '/data/small')?.type).toBe('whiteout');
    expect(layer.filter((e) => e.path.startsWith('/data/small/'))).toEqual([]);
    expect(layer.filter((e) => e.path.startsWith('/data/moved/'))).toHaveLength(300);
  });

  it('keeps a directory made again where an image directory was moved away empty, across processes', async () => {
    const m = `${c}-again`;
    expect((await s.run(node, { argv: tools('mv', '/data/small', '/data/moved'), containerId: m })).code).toBe(0);
    expect((await s.run(node, { argv: tools('mkdir', '/data/small'), containerId: m })).code).toBe(0);
    expect((await s.run(node, { argv: tools('ls', '/data/small'), containerId: m })).stdout).toBe('');
    const layer = await scope(`c:${m}`);
    expect(layer.find((e) => e.path === '/data/small')?.type).toBe('dir');
    expect(layer.filter((e) => e.path.startsWith('/data/small/')).every((e) => e.type === 'whiteout')).toBe(true);
  });

  it('refuses writes to a read-only volume with EROFS', async () => {
    const ro = [{ kind: 'volume', source: `ro-${node}`, target: '/ro', readOnly: true }] as const;
    const r = await s.run(node, { argv: tools('write', '/ro/x.txt', 'no'), containerId: c, mounts: ro });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('tools: write: /ro/x.txt: Read-only file system\n');
    expect((await s.run(node, { argv: tools('mkdir', '/ro/d'), containerId: c, mounts: ro })).stderr).toContain('Read-only file system');
  });

  it('keeps tmpfs contents in memory only', async () => {
    const tmpfs = [{ kind: 'tmpfs', source: '', target: '/scratch', readOnly: false }] as const;
    expect((await s.run(node, { argv: tools('write', '/scratch/x', 'gone soon'), containerId: c, mounts: tmpfs })).code).toBe(0);
    expect((await s.run(node, { argv: tools('ls', '/scratch'), containerId: c, mounts: tmpfs })).stdout).toBe('');
    expect((await scope(`c:${c}`)).some((e) => e.path.startsWith('/scratch/'))).toBe(false);
  });
});

it('shares a volume between containers on different nodes, across both paths', async () => {
  const vol = [{ kind: 'volume', source: 'shared', target: '/vol', readOnly: false }] as const;
  expect((await s.run('jspi', { argv: tools('write', '/vol/from-jspi.txt', 'hello from node jspi'), containerId: 'v1', mounts: vol })).code).toBe(0);
  expect((await s.run('fallback', { argv: tools('write', '/vol/from-fallback.txt', 'hello from node fallback'), containerId: 'v2', mounts: vol })).code).toBe(
    0,
  );
  const r = await s.run('other', { argv: tools('cat', '/vol/from-jspi.txt', '/vol/from-fallback.txt'), containerId: 'v3', mounts: vol });
  expect(r.stdout).toBe('hello from node jspi\nhello from node fallback\n');
  expect((await scope('v:shared')).map((e) => e.path)).toEqual(['/from-fallback.txt', '/from-jspi.txt']);
});

it('keeps a volume’s index in the Worker while it is current; a change from another node is seen at once', async () => {
  const vol = [{ kind: 'volume', source: 'kept', target: '/vol', readOnly: false }] as const;
  const cat = () => s.run('jspi', { argv: tools('cat', '/vol/note.txt'), containerId: 'kept-reader', mounts: vol });
  expect((await s.run('other', { argv: tools('write', '/vol/note.txt', 'first'), containerId: 'kept-writer', mounts: vol })).code).toBe(0);
  // The first start rebuilds the volume's index, the second reads it, the third keeps it.
  await cat();
  expect((await cat()).stats?.viewKept).toBe(0);
  const kept = await cat();
  expect(kept).toMatchObject({ stdout: 'first\n', code: 0 });
  expect(kept.stats?.viewKept).toBe(2); // the reader's own writable layer and the volume
  // Another node rewrites the file: its save drops the stored index, so the kept one is stale.
  expect((await s.run('other', { argv: tools('write', '/vol/note.txt', 'second'), containerId: 'kept-writer', mounts: vol })).code).toBe(0);
  const after = await cat();
  expect(after.stdout).toBe('second\n');
  expect(after.stats?.viewKept).toBe(1); // the writable layer only
  // So does a write outside any process, made as `docker cp` makes it: entries, then the index dropped.
  await s.page.evaluate(async () => {
    await T.db(E).put('fsEntries', { scope: 'v:kept', path: '/added.txt', type: 'symlink', mode: 0o777, uid: 0, gid: 0, mtime: 0, linkTarget: 'note.txt' });
    await T.db(E).delete('fsIndex', 'v:kept');
  });
  expect((await s.run('jspi', { argv: tools('cat', '/vol/added.txt'), containerId: 'kept-reader', mounts: vol })).stdout).toBe('second\n');
});

it('drops what a Worker kept of a removed container’s layer and volume when its node is told', async () => {
  const vol = [{ kind: 'volume', source: 'goes', target: '/vol', readOnly: false }] as const;
  expect((await s.run('other', { argv: tools('write', '/vol/x', 'x'), containerId: 'goes-writer', mounts: vol })).code).toBe(0);
  const cat = () => s.run('jspi', { argv: tools('cat', '/vol/x'), containerId: 'goes-1', mounts: vol });
  // As above: the third start keeps the reader's layer and the volume.
  await cat();
  await cat();
  const kept = await cat();
  expect(kept.stats?.viewKept).toBe(2);
  const held = (await cat()).stats!.keptIndexes;
  // As the engine does on `docker rm` and `docker volume rm`.
  await s.page.evaluate(() => N.forget('jspi', ['c:goes-1', 'v:goes']));
  const after = await s.run('jspi', { argv: tools('echo', 'x'), containerId: 'goes-2' });
  expect(after.stats?.keptIndexes).toBe(held - 2);
});

// `docker system check [--repair]` over a real engine: a clean store checks clean; records
// corrupted on purpose are each reported with their kind; repair leaves a store that checks clean
// but for what it refuses to touch (users' files).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VirtualFiles } from '../../../cli/virtual-files.ts';
import type { Digest } from '../../../core/oci/digest.ts';
import { type Engine, engineInternals } from '../../../engine/engine.ts';
import { BUSYBOX_ID, containerEngine, dockerCommand, loadBusybox } from '../../support/cli-helpers.ts';

let engine: Engine;
let files: VirtualFiles;
const docker = (line: string) => dockerCommand(engine, line, files);
const NO_IMAGE = `sha256:${'0'.repeat(64)}` as Digest;
const PARTIAL = `sha256:${'1'.repeat(64)}` as Digest;

beforeEach(async () => {
  ({ engine, files } = await containerEngine());
  await loadBusybox(engine);
  expect((await docker('docker volume create data')).code).toBe(0);
  expect((await docker('docker run --name app -v data:/data test/tools echo hi')).code).toBe(0);
  files.set('note.txt', new TextEncoder().encode('a note\n'));
  expect((await docker('docker cp note.txt app:/note.txt')).code).toBe(0);
});
afterEach(async () => {
  await new Promise((r) => setTimeout(r, 60));
  await engine.close();
});

const appId = () => engine.containers.list({ all: true }).find((c) => c.Names[0] === '/app')!.Id;

describe('docker system check', () => {
  it('finds nothing wrong in a store the engine wrote', async () => {
    const r = await docker('docker system check');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^checked 2 images, 2 tags, \d+ snapshots, \d+ files, \d+ blobs, 1 containers, 1 volumes: no problems found\n$/);
    const [report] = [JSON.parse((await docker('docker system check --format json')).stdout)];
    expect(report).toMatchObject({ problems: [], remaining: 0, checked: { images: 2, containers: 1, volumes: 1 } });
  });

  it('reports each corrupted record with its kind, and repair fixes what it may', async () => {
    const db = engineInternals(engine).db;
    expect(await db.get('tags', 'docker.io/fixtures/busybox:latest')).toBeDefined();
    // A container's file whose data is gone.
    const note = (await db.getAll('fsEntries')).find((e) => e.scope === `c:${appId()}` && e.path === '/note.txt')!;
    const noteRec = (await db.get('files', note.sha!))!;
    await db.delete('fileData', 'pack' in noteRec.loc ? noteRec.loc.pack : `${noteRec.loc.chunks}:0`);
    // A snapshot an image needs.
    const busybox = (await db.get('images', BUSYBOX_ID))!;
    await db.delete('snapshots', busybox.chainIds.at(-1)!);
    // A tag of an image that is not there, an orphan writable layer, an interrupted download,
    // and a file record nothing references (with its data).
    await db.put('tags', { name: 'docker.io/library/ghost:latest', image: NO_IMAGE });
    await db.put('fsEntries', { scope: 'c:gone', path: '/x', type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 0 });
    await db.put('ingests', { digest: PARTIAL, chunks: 1, chunkSize: 1 << 20, updatedAt: 0 });
    await db.put('blobChunks', new Uint8Array(4), [PARTIAL, 0]);
    await db.put('files', { sha: 'ab'.repeat(32), size: 3, loc: { pack: 'p:stray', offset: 0 }, pack: 'p:stray' });
    await db.put('fileData', new Uint8Array(3), 'p:stray');

    const before = await engine.checkStore();
    const seen = before.problems.map((p) => `${p.kind} ${p.object}: ${p.message}`);
    expect(seen).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^missing file record [0-9a-f]{12}…: its data p:\S+ is missing$/),
        `missing container ${appId().slice(0, 12)} (app): the contents of 1 file are missing (/note.txt)`,
        expect.stringMatching(/^missing image sha256:db841300849a… \(fixtures\/busybox:latest\): layer \d+ snapshot sha256:[0-9a-f]{12}… is missing$/),
        'missing tag ghost:latest: image sha256:000000000000… is missing',
        'dangling writable layer c:gone: no container owns it (1 entry)',
        'dangling download sha256:111111111111…: left by an interrupted pull (1 chunk)',
        // The stray record, and the file of the snapshot that went.
        'dangling 2 file records: no layer, container or volume references them',
      ]),
    );
    expect(before.problems).toHaveLength(7);
    expect(before.remaining).toBe(7);

    const cli = await docker('docker system check');
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain('missing  tag ghost:latest: image sha256:000000000000… is missing (--repair would remove the tag)\n');
    expect(cli.stdout).toMatch(/: 7 problems\n$/);

    const repair = await docker('docker system check --repair');
    expect(repair.stdout).toContain('missing  tag ghost:latest: image sha256:000000000000… is missing: repaired: remove the tag\n');
    expect(repair.stdout).toMatch(/busybox:latest\): layer \d+ snapshot \S+ is missing: repaired: remove the image and its broken layers/);
    // What the removed image left (its other snapshots, blobs, files) went with it.
    expect(repair.stdout).toMatch(/dangling snapshot \S+: no image references it: repaired: remove the snapshot\n/);
    expect(repair.stdout).toContain(`missing  container ${appId().slice(0, 12)} (app): the contents of 1 file are missing (/note.txt): not repaired\n`);
    expect(repair.stdout).toMatch(/ 1 left\n$/);
    expect(repair.code).toBe(1);

    // Only the container's lost file is left: a user's file is never removed behind their back.
    const after = await engine.checkStore();
    expect(after.problems.map((p) => p.object)).toEqual([`container ${appId().slice(0, 12)} (app)`]);
    expect(await db.get('images', BUSYBOX_ID)).toBeUndefined();
    expect(await db.get('tags', 'docker.io/fixtures/busybox:latest')).toBeUndefined();
    expect(await db.get('fileData', 'p:stray')).toBeUndefined();
    expect(await db.count('ingests')).toBe(0);

    // Once the user deals with it, the store is clean; busybox comes back with a load.
    await docker('docker rm app');
    await loadBusybox(engine);
    expect(await docker('docker system check --repair')).toMatchObject({ code: 0, stdout: expect.stringMatching(/: no problems found\n$/) });
  });

  it('reports a container whose image is gone, and keeps it', async () => {
    await engineInternals(engine).db.delete('images', (await engine.containers.inspect('app')).Image);
    const r = await docker('docker system check --repair --format json');
    const report = JSON.parse(r.stdout) as { problems: { kind: string; object: string; message: string; repaired: boolean }[] };
    expect(report.problems).toContainEqual(
      expect.objectContaining({ kind: 'missing', object: expect.stringMatching(/^container .* \(app\)$/), repaired: false }),
    );
    expect(r.code).toBe(1);
    expect(engine.containers.list({ all: true })).toHaveLength(1);
  });

  it('has help', async () => {
    const r = await docker('docker system check --help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage:  docker system check [OPTIONS]');
    expect(r.stdout).toContain('--repair');
  });
});

// Dedup, tag, remove with garbage collection, save and load: real Chromium, real registry.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type BrowserSession, launchChromium, openHarness } from '../support/chromium.ts';
import { fixturesDir, loadFixtures } from '../support/registry.ts';

const registry = inject('registry');
const baseUrl = inject('baseUrl');
const fixtures = loadFixtures();
const busybox = `${registry}/fixtures/busybox:latest`;
const sibling = `${registry}/fixtures/sibling:latest`;
let s: BrowserSession;
const blobRequests: string[] = [];

beforeAll(async () => {
  s = await launchChromium();
  s.page.on('request', (r) => {
    const m = /\/blobs\/(sha256:[a-f0-9]{64})/.exec(r.url());
    if (m) blobRequests.push(m[1]!);
  });
  await openHarness(s.page, baseUrl, 'lifecycle');
  await s.page.evaluate(async () => {
    globalThis.E = await T.open();
  });
});
afterAll(() => s?.close());

const stats = () => s.page.evaluate(() => T.storeStats(E));
const docker = <R>(f: (arg: string) => Promise<R>, arg: string) => s.page.evaluate(f, arg);

describe('images in IndexedDB', () => {
  it('downloads and stores a base layer shared by two images once', async () => {
    const empty = await stats();
    await docker((r) => E.images.pull(r).then(() => undefined), busybox);
    const afterOne = await stats();
    const r2 = await s.page.evaluate((r) => E.images.pull(r).then((x) => x.stats), sibling);
    const afterTwo = await stats();

    const base = fixtures.images['fixtures/busybox:latest']!.layers![0]!.digest;
    const sib = fixtures.images['fixtures/sibling:latest']!;
    expect(sib.layers![0]!.digest).toBe(base);
    expect(blobRequests.filter((d) => d === base)).toHaveLength(1);
    expect(r2.layersAlreadyPresent).toBe(1);
    // The sibling adds one layer blob, one snapshot, its manifest and config: nothing of the base again.
    expect(afterTwo.snapshots - afterOne.snapshots).toBe(1);
    expect(afterTwo.blobs - afterOne.blobs).toBe(3);
    expect(afterTwo.blobBytes - afterOne.blobBytes).toBeLessThan(sib.layers![1]!.size + 4096);
    expect(afterOne.images - empty.images).toBe(1);
  });

  it('pulling again sends no layer requests and reports up to date', async () => {
    const before = blobRequests.length;
    const r = await s.page.evaluate((ref) => E.images.pull(ref).then((x) => ({ status: x.status, fetched: x.stats.fetchedBytes })), busybox);
    expect(r).toEqual({ status: 'up to date', fetched: 0 });
    expect(blobRequests.length).toBe(before);
  });

  it('lists, inspects and shows history', async () => {
    const list = await s.page.evaluate(() => E.images.list());
    const row = list.find((i) => i.RepoTags.includes(busybox))!;
    expect(row.Id).toBe(fixtures.images['fixtures/busybox:latest']!.manifest.config!.digest);
    expect(row.Size).toBeGreaterThan(500_000);
    const inspect = await docker((r) => E.images.inspect(r), busybox);
    expect(inspect.Os).toBe('linux');
    expect(inspect.Architecture).toBe('386');
    expect(inspect.Config?.WorkingDir).toBe('/home/app');
    expect(inspect.RootFS.Layers).toEqual(fixtures.images['fixtures/busybox:latest']!.config!.rootfs!.diff_ids);
    const byShortId = await docker((id) => E.images.inspect(id).then((i) => i.Id), row.Id.slice(7, 19));
    expect(byShortId).toBe(row.Id);
    const history = await docker((r) => E.images.history(r), busybox);
    expect(history[0]!.Id).toBe(row.Id);
    expect(history.map((h) => h.CreatedBy).join('\n')).toContain('rm /etc/deleteme.txt');
  });

  it('tags, untags, and frees storage when the last image using it is removed', async () => {
    const before = await stats();
    await s.page.evaluate((r) => E.images.tag(r, 'my/busybox:v1'), busybox);
    const untag = await s.page.evaluate(() => E.images.remove('my/busybox:v1'));
    expect(untag).toEqual([{ Untagged: 'my/busybox:v1' }]);
    expect(await stats()).toEqual(before);

    const removedSibling = await docker((r) => E.images.remove(r), sibling);
    expect(removedSibling.at(-1)?.Deleted).toBe(fixtures.images['fixtures/sibling:latest']!.manifest.config!.digest);
    const afterSibling = await stats();
    expect(afterSibling.snapshots).toBe(before.snapshots - 1);
    // The shared base layer stays: busybox still uses it.
    expect(afterSibling.fileDataBytes).toBeGreaterThan(500_000);

    await docker((r) => E.images.remove(r), busybox);
    const after = await stats();
    expect(after).toMatchObject({ images: 0, tags: 0, snapshots: 0, blobs: 0, files: 0, fileData: 0, blobChunks: 0 });
  });

  it('saves to a tarball and loads it back into an empty engine', async () => {
    await docker((r) => E.images.pull(r).then(() => undefined), busybox);
    const treeBefore = await docker((r) => T.tree(E, r), busybox);
    const saved = await s.page.evaluate(async (r) => {
      const tar = await E.images.save([r]);
      (globalThis as unknown as { saved: Uint8Array }).saved = tar;
      await E.images.remove(r);
      return tar.byteLength;
    }, busybox);
    expect(saved).toBeGreaterThan(500_000);
    expect((await stats()).images).toBe(0);
    const lines = await s.page.evaluate(() => E.images.load((globalThis as unknown as { saved: Uint8Array }).saved));
    expect(lines).toEqual([`Loaded image: ${busybox}`]);
    expect(await docker((r) => T.tree(E, r), busybox)).toEqual(treeBefore);
  });

  it('loads docker-save and OCI archives made by skopeo, and a layout served over HTTP', async () => {
    for (const name of ['busybox-docker.tar', 'busybox-oci.tar']) {
      const bytes = await readFile(path.join(fixturesDir(), 'archives', name));
      await s.page.route(`${baseUrl}/archives/${name}`, (route) => route.fulfill({ body: bytes, contentType: 'application/x-tar' }));
      const lines = await s.page.evaluate(async (url) => {
        const res = await fetch(url);
        return E.images.load(res.body!);
      }, `${baseUrl}/archives/${name}`);
      expect(lines.length, name).toBe(1);
      expect(lines[0]).toMatch(/^Loaded image/);
    }
    const id = fixtures.images['fixtures/busybox:latest']!.manifest.config!.digest;
    expect(await s.page.evaluate((i) => E.images.inspect(i).then((x) => x.Id), id)).toBe(id);

    const layout = await s.page.evaluate((u) => E.images.loadLayout(u), `${baseUrl}/images/demo/`);
    expect(layout).toEqual(['Loaded image: hello:latest', 'Loaded image: web:latest', 'Loaded image: busybox:latest']);
    const hello = await s.page.evaluate(() => E.images.inspect('hello'));
    expect(hello.Os).toBe('wasi');
  });

  it('cancels a pull through its AbortSignal', async () => {
    const r = await s.page.evaluate(async (ref) => {
      const ac = new AbortController();
      const p = E.images.pull(ref, { signal: ac.signal, onProgress: (e) => e.kind === 'layer' && e.status === 'Downloading' && ac.abort() });
      try {
        await p;
        return 'completed';
      } catch (e) {
        return T.describe(e).name;
      }
    }, `${registry}/fixtures/big:latest`);
    expect(r).toBe('AbortError');
    expect(await s.page.evaluate(() => E.images.list().then((l) => l.some((i) => i.RepoTags.some((t) => t.includes('big')))))).toBe(false);
  });
});

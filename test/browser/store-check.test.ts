// `docker system check` in the demo page over real IndexedDB: a layer snapshot deleted behind the
// engine's back (as a crash or a cleared store might), found after a reload, repaired, and the
// image loaded again, after which the container that was left alone runs as before.
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { type BrowserSession, launchChromium } from '../support/chromium.ts';

const baseUrl = inject('baseUrl');
const DB = 'store-check-e2e';
let s: BrowserSession;
const docker = (cmd: string) => s.page.evaluate((c) => window.docker(c), cmd);
const open = async () => {
  await s.page.goto(`${baseUrl}/demo/index.html?db=${DB}&noproxy`);
  await s.page.evaluate(() => window.engineReady);
};

beforeAll(async () => {
  s = await launchChromium();
});
afterAll(() => s?.close());

it('finds a snapshot lost from IndexedDB after a reload, repairs the store, and the image loads again', async () => {
  await open();
  expect(await docker('docker run --name app busybox sh -c "echo kept > /note"')).toMatchObject({ code: 0 });
  expect(await docker('docker system check')).toMatchObject({ code: 0, stdout: expect.stringMatching(/: no problems found\n$/) });

  // The last layer snapshot of busybox, deleted straight from IndexedDB.
  const lost = await s.page.evaluate(async (name) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(name);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    const tx = db.transaction(['tags', 'images', 'snapshots'], 'readwrite');
    const get = <T>(r: IDBRequest<T>) =>
      new Promise<T>((resolve, reject) => {
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
    const tags = await get(tx.objectStore('tags').getAll());
    const image = await get(tx.objectStore('images').get(tags.find((t: { name: string }) => t.name.endsWith('/busybox:latest')).image));
    const chainId: string = image.chainIds.at(-1);
    tx.objectStore('snapshots').delete(chainId);
    await new Promise((r) => (tx.oncomplete = r));
    db.close();
    return chainId;
  }, DB);
  await open();

  const check = await docker('docker system check');
  expect(check.code).toBe(1);
  expect(check.stdout).toContain(`snapshot ${lost.slice(0, 19)}… is missing (--repair would remove the image and its broken layers (pull or load it again))`);
  const json = JSON.parse((await docker('docker system check --format json')).stdout) as { problems: { kind: string; store: string }[]; remaining: number };
  expect(json.problems).toContainEqual(expect.objectContaining({ kind: 'missing', store: 'images' }));

  const repair = await docker('docker system check --repair');
  expect(repair.stdout).toContain('repaired: remove the image and its broken layers');
  // The container's image is gone now: reported, and the container kept.
  expect(repair.stdout).toMatch(/missing +container [0-9a-f]{12} \(app\): image sha256:\S+ is missing: not repaired\n/);
  expect(repair.code).toBe(1);
  expect((await docker('docker images --format "{{.Repository}}"')).stdout).not.toContain('busybox');

  // Loaded again, under the same ID: the store checks clean and the container runs with its file.
  await s.page.evaluate(() => window.engine.images.loadLayout(new URL('/images/demo/', location.href).href));
  expect(await docker('docker system check')).toMatchObject({ code: 0, stdout: expect.stringMatching(/: no problems found\n$/) });
  expect(await docker('docker start -a app')).toMatchObject({ code: 0 });
  expect((await docker('docker diff app')).stdout).toContain('A /note');
  await s.page.evaluate((name) => indexedDB.deleteDatabase(name), DB);
});

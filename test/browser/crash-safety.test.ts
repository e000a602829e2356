// The renderer killed (CDP's Page.crash: the page and its node Workers die at once, nothing runs
// on the way out) during a pull, a container's heavy writes, a volume write, `docker cp` and a
// build. After reopening, `docker system check` finds nothing missing, no partial image is
// visible, and the files are as of their last commit: a prefix of what was being written, each
// one whole.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { type BrowserSession, launchChromium } from '../support/chromium.ts';

const registry = inject('registry');
const baseUrl = inject('baseUrl');
const TOOLS = `${registry}/fixtures/wasi-tools`;
const run = Date.now().toString(36);
let s: BrowserSession;
let page: Page;

beforeAll(async () => {
  s = await launchChromium();
  page = s.page;
});
afterAll(() => s?.close());

const docker = (cmd: string) => page.evaluate((c) => window.docker(c), cmd);
const ok = async (cmd: string) => {
  const r = await docker(cmd);
  expect(r.code, `${cmd}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
};

async function open(db: string): Promise<void> {
  await page.goto(`${baseUrl}/demo/index.html?db=${db}&noproxy`);
  await page.evaluate(() => window.engineReady);
}

/** How many records an object store of the page's database holds, read straight from IndexedDB. */
function count(db: string, store: string): Promise<number> {
  return page.evaluate(
    ([name, st]) =>
      new Promise<number>((resolve, reject) => {
        const req = indexedDB.open(name!);
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const c = req.result.transaction(st!, 'readonly').objectStore(st!).count();
          c.onsuccess = () => {
            req.result.close();
            resolve(c.result);
          };
          c.onerror = () => reject(c.error);
        };
      }),
    [db, store],
  );
}

/** Starts `cmd` without waiting, kills the renderer once `ready` holds, and reopens the page. */
async function crashDuring(db: string, cmd: string, ready: () => Promise<boolean>): Promise<void> {
  void page.evaluate((c) => window.docker(c), cmd).catch(() => undefined);
  const deadline = Date.now() + 60_000;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`${cmd}: not under way after 60 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const crashed = new Promise((r) => page.once('crash', r));
  const cdp = await s.context.newCDPSession(page);
  void cdp.send('Page.crash').catch(() => undefined);
  await crashed;
  await page.close();
  page = await s.context.newPage();
  await open(db);
}

/** The check after the crash: nothing points at missing data. */
async function checkNothingMissing() {
  const report = await page.evaluate(() => window.engine.checkStore());
  expect(report.problems.filter((p) => p.kind === 'missing')).toEqual([]);
  return report.problems;
}

/** The `NNNN.txt` files `writemany` made, as numbers; they must be 1..k, with none skipped. */
function writtenPrefix(names: string[]): number {
  const nums = names.map((n) => Number(/(\d{4})\.txt$/.exec(n)?.[1])).sort((a, b) => a - b);
  expect(nums).toEqual(nums.map((_, i) => i + 1));
  return nums.length;
}

it('a pull: no image, nothing missing, and the pull again completes with a clean store', async () => {
  const db = `crash-pull-${run}`;
  await open(db);
  const cdp = await s.context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: 16 << 20, uploadThroughput: -1 });
  await crashDuring(db, `docker pull ${registry}/fixtures/big`, async () => (await count(db, 'blobChunks')) >= 6);
  const problems = await checkNothingMissing();
  // What is left is the resumable download (and any layer of it already unpacked), no image.
  expect(problems.every((p) => p.kind === 'dangling')).toBe(true);
  expect(await ok('docker images -q')).not.toContain('big');
  expect(await ok(`docker images --format "{{.Repository}}"`)).not.toContain('fixtures/big');
  await ok(`docker pull ${registry}/fixtures/big`);
  expect(await page.evaluate(() => window.engine.checkStore())).toMatchObject({ problems: [], remaining: 0 });
}, 120_000);

it('a container writing 3,000 files, each closed: a whole prefix of them is kept', async () => {
  const db = `crash-writes-${run}`;
  await open(db);
  await ok(`docker pull ${TOOLS}`);
  await ok(`docker create --name writer ${TOOLS} writemany /tmp 3000`);
  const before = await count(db, 'fsEntries');
  await crashDuring(db, 'docker start -a writer', async () => (await count(db, 'fsEntries')) >= before + 200);
  expect(await checkNothingMissing()).toEqual([]);
  const added = (await ok('docker diff writer')).split('\n').filter((l) => /^A \/tmp\/\d{4}\.txt$/.test(l));
  const k = writtenPrefix(added);
  expect(k).toBeGreaterThanOrEqual(200);
  expect(k).toBeLessThan(3000);
  // Each kept file is whole, and the container runs again over them.
  expect(await ok(`docker commit writer crashed-writes:${run}`)).toMatch(/^sha256:/);
  expect(await ok(`docker run --rm --entrypoint /bin/tools.wasm crashed-writes:${run} readmany /tmp ${k}`)).toBe(`read ${k} files, ${k * 18} bytes\n`);
  expect(await ok(`docker run --rm --entrypoint /bin/tools.wasm crashed-writes:${run} cat /tmp/${String(k).padStart(4, '0')}.txt`)).toBe(
    `written file ${String(k).padStart(4, '0')}\n`,
  );
}, 120_000);

it('a volume being written: a whole prefix of the files, and the volume still works', async () => {
  const db = `crash-volume-${run}`;
  await open(db);
  await ok(`docker pull ${TOOLS}`);
  await ok('docker volume create data');
  const before = await count(db, 'fsEntries');
  await crashDuring(db, `docker run --rm -v data:/data ${TOOLS} writemany /data 3000`, async () => (await count(db, 'fsEntries')) >= before + 200);
  expect(await checkNothingMissing()).toEqual([]);
  const names = (await ok(`docker run --rm -v data:/data ${TOOLS} ls /data`)).trim().split('\n');
  const k = writtenPrefix(names);
  expect(k).toBeGreaterThanOrEqual(200);
  expect(await ok(`docker run --rm -v data:/data ${TOOLS} readmany /data ${k}`)).toBe(`read ${k} files, ${k * 18} bytes\n`);
  await ok(`docker run --rm -v data:/data ${TOOLS} write /data/after.txt ok`);
  expect(await ok(`docker run --rm -v data:/data ${TOOLS} cat /data/after.txt`)).toBe('ok\n');
}, 120_000);

it('docker cp of 40 MiB into a container: the file is there whole or not at all', async () => {
  const db = `crash-cp-${run}`;
  await open(db);
  await ok(`docker pull ${TOOLS}`);
  await ok(`docker create --name cp-target ${TOOLS}`);
  await page.evaluate(() => {
    const bytes = new Uint8Array(40 << 20);
    for (let i = 0; i < bytes.length; i += 4096) bytes[i] = (i >> 12) & 0xff;
    window.dockerFiles.set('big.bin', bytes);
  });
  const before = await count(db, 'fileData');
  await crashDuring(db, 'docker cp big.bin cp-target:/big.bin', async () => (await count(db, 'fileData')) > before || (await count(db, 'fsEntries')) > 0);
  await checkNothingMissing();
  const diff = (await ok('docker diff cp-target')).split('\n').filter(Boolean);
  if (diff.includes('A /big.bin')) {
    await ok(`docker commit cp-target crashed-cp:${run}`);
    expect(await ok(`docker run --rm --entrypoint /bin/tools.wasm crashed-cp:${run} stat /big.bin`)).toMatch(new RegExp(`^file ${40 << 20} `));
  } else {
    expect(diff).toEqual([]);
  }
}, 120_000);

it('a build: no image tagged, no step container left, nothing missing', async () => {
  const db = `crash-build-${run}`;
  await open(db);
  await ok(`docker pull ${TOOLS}`);
  await page.evaluate(
    (df) => window.dockerFiles.set('ctx/Dockerfile', new TextEncoder().encode(df)),
    `FROM ${TOOLS}\nRUN ["/bin/tools.wasm", "writemany", "/tmp", "1000"]\n`,
  );
  const before = await count(db, 'fsEntries');
  await crashDuring(db, `docker build -t crashed-build:${run} ctx`, async () => (await count(db, 'fsEntries')) >= before + 200);
  const problems = await checkNothingMissing();
  expect(problems).toEqual([]);
  expect(await ok('docker images --format "{{.Repository}}"')).not.toContain('crashed-build');
  expect(await ok('docker ps -aq')).toBe('');
  // The same build runs to the end after the crash (the page's files went with it).
  expect(await docker(`docker build -t crashed-build:${run} ctx`)).toMatchObject({ code: 1, stderr: expect.stringContaining('path "ctx" not found') });
  await page.evaluate(
    (df) => window.dockerFiles.set('ctx/Dockerfile', new TextEncoder().encode(df)),
    `FROM ${TOOLS}\nRUN ["/bin/tools.wasm", "writemany", "/tmp", "1000"]\n`,
  );
  await ok(`docker build -t crashed-build:${run} ctx`);
  expect(await page.evaluate(() => window.engine.checkStore())).toMatchObject({ problems: [], remaining: 0 });
}, 120_000);

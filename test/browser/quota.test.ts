// A full quota, for real: Chromium's own quota for the demo's origin is lowered over CDP
// (Storage.overrideQuotaForOrigin) to a little above what is stored, the page reloads, and
// IndexedDB refuses the writes past it. In the middle of a pull, a build, a WASI container's writes, a volume's writes
// and an x86 container's writes: each fails with a clear error (ENOSPC, "no space left on device",
// inside a container), nothing half-written is visible, `docker system check` finds the store
// consistent, `system df` still answers, and with the quota back the same work succeeds.
import type { CDPSession } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { type BrowserSession, launchChromium } from '../support/chromium.ts';
import { pushImage, randomLayer } from '../support/image-builder.ts';

const registry = inject('registry');
const baseUrl = inject('baseUrl');
const DB = `quota-${Date.now().toString(36)}`;
const T = 180_000;
let s: BrowserSession;
let cdp: CDPSession;
let origin: string;

const docker = (cmd: string) => s.page.evaluate((c) => window.docker(c), cmd);
async function ok(cmd: string): Promise<string> {
  const r = await docker(cmd);
  expect(r.code, `${cmd}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

/**
 * Leaves `room` bytes above what the origin stores now; `null` gives the default quota back.
 * IndexedDB checks writes against the room it saw when the origin's databases were opened, and
 * that view lives on for a while after the last connection closed, so the page leaves
 * (about:blank) and comes back until a scratch write larger than the room is refused (and a
 * small one is not).
 */
async function limitQuota(room: number | null): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    if (room === null) {
      await cdp.send('Storage.overrideQuotaForOrigin', { origin });
    } else {
      const usage = await s.page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
      await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: usage + room });
    }
    await s.page.goto('about:blank');
    await new Promise((r) => setTimeout(r, 1000 * attempt));
    await s.page.goto(`${baseUrl}/demo/index.html?db=${DB}&noproxy`);
    // The room is there (the usage Chromium reports may lag what IndexedDB counts) and no more.
    if (room === null || (!(await scratchWriteRefused(64 << 10)) && (await scratchWriteRefused(room + MiB)))) break;
    if (attempt === 5) throw new Error(`the quota override did not take after ${attempt} tries`);
  }
  await s.page.evaluate(() => window.engineReady);
}

/** Whether IndexedDB refuses `bytes` more (QuotaExceededError); a scratch database, deleted after. */
function scratchWriteRefused(bytes: number): Promise<boolean> {
  return s.page.evaluate(async (n) => {
    const db = await new Promise<IDBDatabase>((res, rej) => {
      const r = indexedDB.open('quota-scratch', 1);
      r.onupgradeneeded = () => r.result.createObjectStore('s');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    const refused = await new Promise<boolean>((res) => {
      const tx = db.transaction('s', 'readwrite');
      const bytes = new Uint8Array(n);
      for (let i = 0; i < n; i += 65536) crypto.getRandomValues(bytes.subarray(i, Math.min(n, i + 65536)));
      tx.objectStore('s').put(bytes, 1);
      tx.oncomplete = () => res(false);
      tx.onabort = () => res(tx.error?.name === 'QuotaExceededError');
    });
    db.close();
    await new Promise((res) => {
      indexedDB.deleteDatabase('quota-scratch').onsuccess = res;
    });
    return refused;
  }, bytes);
}

/** The store is consistent: every record points at data that exists, nothing is left half-written. */
async function expectConsistent(): Promise<void> {
  const check = await docker('docker system check');
  expect(check.stdout + check.stderr).toMatch(/: no problems found\n$/);
  expect(check.code).toBe(0);
  expect(await ok('docker system df')).toMatch(/^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE\n/);
}

const MiB = 2 ** 20;

/** Runs a container that fills 64 MiB with 8 MiB of room: ENOSPC inside, then the quota back and a consistent store. */
async function refusedInside(cmd: string): Promise<void> {
  await limitQuota(8 * MiB);
  const r = await docker(cmd);
  console.log(`${cmd} at a full quota: code ${r.code}\n${r.stdout}${r.stderr}`);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(/No space left on device/);
  await limitQuota(null);
  await expectConsistent();
}

beforeAll(async () => {
  s = await launchChromium();
  cdp = await s.context.newCDPSession(s.page);
  await s.page.goto(`${baseUrl}/demo/index.html?db=${DB}&noproxy`);
  origin = new URL(s.page.url()).origin;
  await s.page.evaluate(() => window.engineReady);
  await ok(`docker pull -q ${registry}/fixtures/wasi-tools`);
  await ok(`docker tag ${registry}/fixtures/wasi-tools tools`);
}, T);
afterEach(() => limitQuota(null));
afterAll(() => s?.close());

describe('a full quota', () => {
  it(
    'in the middle of a pull: a clear error, no partial image, and the pull succeeds with room',
    async () => {
      const img = await pushImage(registry, 'quota/big', [randomLayer(24)], { os: 'wasi', architecture: 'wasm' });
      await limitQuota(6 * MiB);
      const r = await docker(`docker pull ${img.ref}`);
      console.log(`pull at a full quota: code ${r.code}\n${r.stderr}`);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/quota/i);
      expect(await ok('docker images --format "{{.Repository}}"')).not.toContain('quota/big');
      await expectConsistent();
      await limitQuota(null);
      await ok(`docker pull -q ${img.ref}`);
      await ok(`docker rmi ${img.ref}`);
    },
    T,
  );

  it(
    'in the middle of a build: the build fails, no image is tagged, and it builds with room',
    async () => {
      const big = new Uint8Array(24 * MiB);
      for (let i = 0; i < big.length; i += 65536) crypto.getRandomValues(big.subarray(i, i + 65536));
      const writeContext = () =>
        s.page.evaluate(
          ([b64]) => {
            const bytes = Uint8Array.from(atob(b64!), (c) => c.charCodeAt(0));
            window.dockerFiles.set('q/Dockerfile', new TextEncoder().encode('FROM tools\nCOPY big.bin /big.bin\n'));
            window.dockerFiles.set('q/big.bin', bytes);
          },
          [Buffer.from(big).toString('base64')],
        );
      await limitQuota(6 * MiB);
      await writeContext();
      const r = await docker('docker build -t quota-built q');
      console.log(`build at a full quota: code ${r.code}\n${r.stderr.split('\n').slice(-6).join('\n')}`);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/quota|no space left/i);
      expect(await ok('docker images --format "{{.Repository}}"')).not.toContain('quota-built');
      await expectConsistent();
      await limitQuota(null);
      await writeContext();
      await ok('docker build -q -t quota-built q');
      await ok('docker rmi quota-built');
    },
    T,
  );

  it(
    'in the middle of a WASI container’s writes: ENOSPC inside, the files as of the last commit',
    async () => {
      await refusedInside('docker run --name qw tools fill /tmp 64');
      // What was committed is whole: each file the container kept has its full MiB.
      const kept = (await ok('docker diff qw'))
        .split('\n')
        .filter((l) => /fill-\d+$/.test(l))
        .map((l) => l.slice(2));
      expect(kept.length).toBeLessThan(64);
      await ok('docker commit qw quota-kept');
      for (const f of kept.slice(-2)) expect(await ok(`docker run --rm quota-kept stat ${f}`)).toMatch(/^file 1048576 /);
      await ok('docker rm qw');
      await ok('docker rmi quota-kept');
      expect(await ok('docker run --rm tools fill /tmp 4')).toBe('filled 4 MiB\n');
    },
    T,
  );

  it(
    'in the middle of a volume write: ENOSPC inside, and the volume keeps what was committed',
    async () => {
      await refusedInside('docker run --rm -v qvol:/data tools fill /data 64');
      const listed = (await ok('docker run --rm -v qvol:/data tools ls /data')).split('\n').filter(Boolean);
      expect(listed.length).toBeLessThan(64);
      for (const f of listed.slice(-2)) expect(await ok(`docker run --rm -v qvol:/data tools stat /data/${f}`)).toMatch(/^file 1048576 /);
      await ok('docker volume rm qvol');
    },
    T,
  );

  it(
    'in the middle of an x86 container’s writes: dd says "No space left on device"',
    async () => {
      await limitQuota(4 * MiB);
      const r = await docker(`docker run --name qx busybox sh -c 'dd if=/dev/urandom of=/big bs=1M count=12 conv=fsync; echo dd=$?'`);
      console.log(`x86 writes at a full quota: code ${r.code}\n${r.stdout}${r.stderr}`);
      expect(r.stderr + r.stdout).toMatch(/No space left on device/);
      expect(r.stdout).not.toContain('dd=0');
      await limitQuota(null);
      // /big as of the last commit that fitted; superseded contents of earlier commits are
      // garbage until the container goes, which is when the sweep runs.
      expect(await ok('docker diff qx')).toContain('A /big');
      await ok('docker rm qx');
      await expectConsistent();
    },
    T,
  );
});

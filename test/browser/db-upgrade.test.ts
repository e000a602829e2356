// A newer version of the engine's database opened in another tab: the old tab's engine (and its
// node Workers) close their connections at once, so the upgrade does not hang, and the old page
// says so and reloads.
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { type BrowserSession, launchChromium } from '../support/chromium.ts';

const baseUrl = inject('baseUrl');
const DB = 'db-upgrade-e2e';
let s: BrowserSession;

beforeAll(async () => {
  s = await launchChromium();
});
afterAll(() => s?.close());

it('closes the old tab’s connections when another tab upgrades the database, and reloads it', async () => {
  const old = s.page;
  await old.goto(`${baseUrl}/demo/index.html?db=${DB}&noproxy`);
  await old.evaluate(() => window.engineReady);
  // A process Worker and a guest Worker each hold their own connection to the database.
  expect(await old.evaluate(() => window.docker('docker run --rm hello'))).toMatchObject({ code: 0 });
  expect(await old.evaluate(() => window.docker('docker run --rm busybox true'))).toMatchObject({ code: 0 });
  const reloaded = old.waitForEvent('framenavigated', { timeout: 20_000 });

  const other = await s.context.newPage();
  await other.goto(`${baseUrl}/test/browser/harness.html`);
  const upgrade = await other.evaluate(
    (name) =>
      new Promise<{ events: string[]; version: number; ms: number }>((resolve, reject) => {
        const start = performance.now();
        const events: string[] = [];
        const req = indexedDB.open(name, 1000);
        req.onblocked = () => events.push('blocked');
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const db = req.result;
          db.close();
          resolve({ events: [...events, 'success'], version: db.version, ms: performance.now() - start });
        };
        setTimeout(() => reject(new Error(`still waiting after 10 s: ${events.join(', ') || 'no event'}`)), 10_000);
      }),
    DB,
  );
  expect(upgrade.events).toEqual(['success']);
  expect(upgrade.version).toBe(1000);

  expect(await old.locator('#status').textContent()).toContain('reloading: a newer version of the engine opened in another tab');
  // xterm.js renders on its next frame.
  await expect.poll(() => old.locator('.xterm-rows').textContent()).toContain(`another tab opened version 1000 of the engine's database "${DB}"`);
  await reloaded;
  await other.evaluate((name) => indexedDB.deleteDatabase(name), DB);
  await other.close();
});

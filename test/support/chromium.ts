// Launches Debian's Chromium (Playwright cannot download one here) with a real on-disk profile,
// so IndexedDB behaves as for a user and survives reloads.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface BrowserSession {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly profileDir: string;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<BrowserSession> {
  const profileDir = await mkdtemp(path.join(os.tmpdir(), 'chromium-profile-'));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
  // tsx/esbuild wrap named functions in __name(); functions passed to page.evaluate need it too.
  await context.addInitScript('globalThis.__name = (f) => f');
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => console.error('[page error]', e.message));
  return {
    context,
    page,
    profileDir,
    async close() {
      await context.close();
      await rm(profileDir, { recursive: true, force: true });
    },
  };
}

/** Opens the runtime test harness page and waits until `window.T` is ready. */
export async function openHarness(page: Page, baseUrl: string, db: string): Promise<void> {
  await page.goto(`${baseUrl}/test/browser/harness.html?db=${encodeURIComponent(db)}`);
  await page.waitForFunction(() => (window as unknown as { T?: unknown }).T !== undefined, undefined, { timeout: 60_000 });
}

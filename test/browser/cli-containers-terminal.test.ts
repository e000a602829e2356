// Interactive containers typed into the demo's terminal (docker run -it: raw keystrokes, the CLI's
// line discipline, Ctrl-D, Ctrl-C, the prompt coming back), and the panels following the engine.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type BrowserSession, launchChromium } from '../support/chromium.ts';

const registry = inject('registry');
const baseUrl = inject('baseUrl');
let s: BrowserSession;
/** The engine and the page may be slow when the machine is busy. */
const POLL = { timeout: 15_000 };

const docker = (cmd: string) => s.page.evaluate((c) => window.docker(c), cmd);
/** The terminal's text, each row without trailing blanks. */
async function screen(): Promise<string> {
  const text = await s.page.locator('.xterm-rows').innerText();
  return text
    .replace(/\u00a0/g, ' ')
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')
    .trimEnd();
}
/** The screen's text after the last command line that starts with `marker`. */
async function since(marker: string): Promise<string> {
  const text = await screen();
  return text.slice(text.lastIndexOf(marker));
}

async function typeLine(text: string): Promise<void> {
  await s.page.keyboard.type(text);
  await s.page.keyboard.press('Enter');
}

beforeAll(async () => {
  s = await launchChromium();
  await s.page.setViewportSize({ width: 1280, height: 800 });
  await s.page.goto(`${baseUrl}/demo/index.html?db=cli-terminal&noproxy`);
  await s.page.evaluate(() => window.engineReady);
  expect((await docker(`docker pull -q ${registry}/fixtures/wasi-tools`)).code).toBe(0);
  expect((await docker(`docker tag ${registry}/fixtures/wasi-tools tools`)).code).toBe(0);
  await s.page.locator('.xterm').click();
});
afterAll(() => s?.close());

describe('the demo terminal', () => {
  it('docker run -it: typed lines reach the container, Ctrl-D ends its input, the prompt returns', async () => {
    await typeLine('docker run -it --name chat tools prompt');
    await expect.poll(() => since('docker run -it --name chat'), POLL).toMatch(/\n>$/);
    await typeLine('hello there');
    await expect.poll(() => since('docker run -it --name chat'), POLL).toMatch(/\n> hello there\nyou said: hello there\n>$/);
    // Backspace edits the line before it is sent.
    await s.page.keyboard.type('typp');
    await s.page.keyboard.press('Backspace');
    await typeLine('o');
    await expect.poll(() => since('docker run -it --name chat'), POLL).toContain('\nyou said: typo\n');
    await s.page.keyboard.press('Control+D');
    await expect.poll(() => since('docker run -it --name chat'), POLL).toMatch(/\n> bye\n\$$/);
    expect((await docker('docker inspect -f "{{.State.ExitCode}}" chat')).stdout).toBe('0\n');
  });

  it('docker run -it on an x86 image: the guest’s terminal echoes each line once, ^C and exit work', async () => {
    await typeLine('docker run -it --name x86sh busybox sh');
    // busybox's prompt as root, as Docker Hub's busybox runs.
    await expect.poll(() => since('docker run -it --name x86sh'), POLL).toMatch(/\/ # ?$/);
    await typeLine('echo hi-$((40+2))');
    await expect.poll(() => since('docker run -it --name x86sh'), POLL).toContain('\nhi-42');
    expect((await since('docker run -it --name x86sh')).split('echo hi-$((40+2))').length).toBe(2);
    // ^C at the shell's prompt is the shell's: a fresh prompt, the container goes on.
    await s.page.keyboard.press('Control+C');
    await typeLine('exit 5');
    await expect.poll(() => since('docker run -it --name x86sh'), POLL).toMatch(/\n\$$/);
    expect((await docker('docker inspect -f "{{.State.ExitCode}}" x86sh')).stdout).toBe('5\n');
  });

  it('Ctrl-C interrupts an interactive container (exit 130) and one started without -i', async () => {
    await typeLine('docker run -it --name spin1 tools spin');
    await expect.poll(() => since('docker run -it --name spin1'), POLL).toContain('spinning');
    await s.page.keyboard.press('Control+C');
    await expect.poll(() => since('docker run -it --name spin1'), POLL).toMatch(/spinning\n\^C\n\$$/);
    expect((await docker('docker inspect -f "{{.State.ExitCode}}" spin1')).stdout).toBe('130\n');

    await typeLine('docker run --name spin2 tools spin');
    await expect.poll(() => since('docker run --name spin2'), POLL).toContain('spinning');
    await s.page.keyboard.press('Control+C');
    await expect.poll(() => since('docker run --name spin2'), POLL).toMatch(/\^C\n\$$/);
    await expect.poll(async () => (await docker('docker inspect -f "{{.State.Status}} {{.State.ExitCode}}" spin2')).stdout, POLL).toBe('exited 130\n');
  });

  it('shows containers and nodes in the panels, with working buttons', async () => {
    const containers = s.page.locator('.panel', { hasText: 'Containers' });
    await expect.poll(() => containers.locator('.item[data-name="chat"] .item-meta').innerText(), POLL).toMatch(/^tools · Exited \(0\)/);
    await docker('docker run -d --name panel-box tools spin');
    const box = containers.locator('.item[data-name="panel-box"]');
    await expect.poll(() => box.locator('.item-meta').innerText(), POLL).toMatch(/^tools · Up .* · node-\d$/);
    await box.getByRole('button', { name: 'stop' }).click();
    await expect.poll(() => box.locator('.item-meta').innerText(), POLL).toMatch(/Exited \(143\)/);
    await box.getByRole('button', { name: 'rm' }).click();
    await expect.poll(() => box.count(), POLL).toBe(0);

    const nodes = s.page.locator('.panel', { hasText: 'Nodes' });
    await nodes.getByRole('button', { name: 'Add' }).click();
    await expect.poll(() => nodes.locator('.item').count(), POLL).toBe(3);
    await nodes.locator('.item[data-name="node-3"]').getByRole('button', { name: 'crash' }).click();
    await expect.poll(() => nodes.locator('.item[data-name="node-3"] .item-meta').innerText(), POLL).toMatch(/^down/);
    expect((await docker('docker node ls --format "{{.Hostname}} {{.Status}}"')).stdout).toBe('node-1 Ready\nnode-2 Ready\nnode-3 Down\n');
    await s.page.screenshot({ path: '.cache/cli-containers.png' });
  });
});

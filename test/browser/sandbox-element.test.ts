// <container-sandbox> in real Chromium, on examples/embed.html served without cross-origin
// isolation: the three built-in images run, two sandboxes at once, an edited file reaches the
// next run, the events, the methods, Reset and the keyboard-driven terminal.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ContainerSandbox } from '../../element/container-sandbox.ts';
import { type BrowserSession, launchChromium } from '../support/chromium.ts';

const baseUrl = inject('baseUrl');
let s: BrowserSession;

interface Ran {
  code: number;
  output: string;
  events: string[];
  ms: number;
}

/** Runs a sandbox by its id through run(), recording its events and output. */
const runSandbox = (id: string) =>
  s.page.evaluate(async (id): Promise<Ran> => {
    const el = document.getElementById(id) as ContainerSandbox;
    const events: string[] = [];
    let output = '';
    const onRun = () => events.push('run');
    const onOutput = (e: Event) => {
      events.push('output');
      output += (e as CustomEvent<{ text: string }>).detail.text;
    };
    const onExit = (e: Event) => events.push(`exit ${(e as CustomEvent<{ code: number }>).detail.code}`);
    el.addEventListener('run', onRun);
    el.addEventListener('output', onOutput);
    el.addEventListener('exit', onExit);
    const t0 = performance.now();
    try {
      const code = await el.run();
      return { code, output, events: [...new Set(events)], ms: Math.round(performance.now() - t0) };
    } finally {
      el.removeEventListener('run', onRun);
      el.removeEventListener('output', onOutput);
      el.removeEventListener('exit', onExit);
    }
  }, id);

const shadowText = (id: string, selector: string) =>
  s.page.evaluate(([id, sel]) => document.getElementById(id!)!.shadowRoot!.querySelector(sel!)!.textContent ?? '', [id, selector] as const);

beforeAll(async () => {
  s = await launchChromium();
  await s.page.goto(`${baseUrl}/examples/embed.html`);
  await s.page.waitForFunction(() => customElements.get('container-sandbox') !== undefined);
});
afterAll(() => s?.close());

describe('<container-sandbox> on the embed page', () => {
  it('runs without cross-origin isolation', async () => {
    expect(await s.page.evaluate(() => [crossOriginIsolated, typeof SharedArrayBuffer])).toEqual([false, 'undefined']);
  });

  it('runs the WASI hello image, with its events in order', async () => {
    const r = await runSandbox('hello');
    console.log(`hello: first run ${r.ms} ms (loads the layout and opens the engine)`);
    expect(r.code).toBe(0);
    expect(r.output).toBe('hello from wasm32-wasi (hello-docs)\nargv[0]=/hello.wasm\nargv[1]=from\nargv[2]=the\nargv[3]=docs\n');
    expect(r.events).toEqual(['run', 'output', 'exit 0']);
    expect(await shadowText('hello', '.output')).toBe(r.output);
    expect(await shadowText('hello', '[role=status]')).toBe('exit code 0');
  });

  it('runs two sandboxes at once: Ruby with its file, and busybox under x86', async () => {
    const t0 = Date.now();
    const [ruby, busybox] = await Promise.all([runSandbox('ruby'), runSandbox('busybox')]);
    console.log(`ruby ${ruby.ms} ms, busybox ${busybox.ms} ms, both ${Date.now() - t0} ms`);
    expect(ruby).toMatchObject({ code: 0, output: 'Hello, documentation!\n6\n' });
    expect(busybox).toMatchObject({ code: 0, output: 'hello-386 from i686\n1\n' });
  });

  it('copies an edited file into the next run, and keeps the writable layer until Reset', async () => {
    await s.page.evaluate(() => {
      const area = document.getElementById('ruby')!.shadowRoot!.querySelector('textarea')!;
      area.value = 'puts File.read("/app/main.rb").lines.size\nputs "edited in the page"\n';
    });
    expect(await runSandbox('ruby')).toMatchObject({ code: 0, output: '2\nedited in the page\n' });
    // The busybox sandbox appends to /tmp/runs each run: its container is kept…
    expect((await runSandbox('busybox')).output).toBe('hello-386 from i686\n2\n');
    // …until Reset, which makes a new one and puts the page's files back.
    await s.page.evaluate(async () => {
      await (document.getElementById('busybox') as ContainerSandbox).reset();
      await (document.getElementById('ruby') as ContainerSandbox).reset();
    });
    expect((await runSandbox('busybox')).output).toBe('hello-386 from i686\n1\n');
    expect((await runSandbox('ruby')).output).toBe('Hello, documentation!\n6\n');
  });

  it('writes and reads files through its methods', async () => {
    const got = await s.page.evaluate(async () => {
      const el = document.getElementById('busybox') as ContainerSandbox;
      await el.writeFile('/data/new/dir/note.txt', 'from writeFile\n');
      await el.writeFile('/tmp/bytes', new Uint8Array([1, 2, 255]));
      return {
        text: await el.readFile('/data/new/dir/note.txt'),
        bytes: [...(await el.readFile('/tmp/bytes', null))],
        passwd: await el.readFile('/etc/passwd'),
      };
    });
    expect(got.text).toBe('from writeFile\n');
    expect(got.bytes).toEqual([1, 2, 255]);
    expect(got.passwd).toMatch(/^root:/);
    // The file is in the container the next run uses.
    await s.page.evaluate(() => document.getElementById('busybox')!.setAttribute('cmd', 'cat /data/new/dir/note.txt'));
    await s.page.evaluate(async () => {
      const el = document.getElementById('busybox') as ContainerSandbox;
      await el.writeFile('/data/new/dir/note.txt', 'written again\n');
    });
    expect(await runSandbox('busybox')).toMatchObject({ code: 0, output: 'written again\n' });
    await expect(s.page.evaluate(() => (document.getElementById('busybox') as ContainerSandbox).readFile('relative/path'))).rejects.toThrow(
      /file path must be absolute/,
    );
  });

  it('reports a command that does not exist with exit 127 on its exit event', async () => {
    const r = await s.page.evaluate(async () => {
      const el = document.createElement('container-sandbox');
      el.setAttribute('src', '/images/demo/');
      el.setAttribute('image', 'busybox');
      el.setAttribute('cmd', 'no-such-command');
      document.body.append(el);
      const exit = new Promise<{ code: number; error?: string }>((r) => el.addEventListener('exit', (e) => r((e as CustomEvent).detail), { once: true }));
      const code = await el.run();
      const detail = await exit;
      el.remove();
      return { code, detail };
    });
    expect(r.code).toBe(127);
    expect(r.detail.code).toBe(127);
    expect(r.detail.error).toMatch(/no-such-command/);
  });

  it('is driven from the keyboard: Enter on Run, then type into the tty terminal', async () => {
    await s.page.evaluate(() => (document.getElementById('shell')!.shadowRoot!.querySelector('button') as HTMLButtonElement).focus());
    await s.page.keyboard.press('Enter');
    const rows = () => s.page.evaluate(() => document.getElementById('shell')!.shadowRoot!.querySelector('.xterm-rows')?.textContent ?? '');
    await expect.poll(rows, { timeout: 30_000 }).toMatch(/#\s*$/);
    await s.page.keyboard.type('echo typed-$((6*7))\n');
    await expect.poll(rows, { timeout: 10_000 }).toContain('typed-42');
    const exited = s.page.evaluate(
      () => new Promise<number>((r) => document.getElementById('shell')!.addEventListener('exit', (e) => r((e as CustomEvent).detail.code), { once: true })),
    );
    await s.page.keyboard.type('exit 3\n');
    expect(await exited).toBe(3);
    expect(await shadowText('shell', '[role=status]')).toBe('exit code 3');
  });
});

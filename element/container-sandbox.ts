// <container-sandbox>: a container to run from a documentation page. Its <file path="…"> children
// are editable and copied into the container before each run; the container is kept between runs
// (its writable layer persists) until Reset makes a new one. All sandboxes of a page share one
// engine (shared-engine.ts), so an image is loaded once for all of them.
import { LineDiscipline } from '../cli/line-discipline.ts';
import {
  CannotRunError,
  CommandNotFoundError,
  type CreateOptions,
  type Engine,
  hasKernelTerminal,
  InvalidParameterError,
  NotFoundError,
  splitCommandLine,
} from '../engine/index.ts';
import { getFile, putFiles } from './sandbox-files.ts';
import { SANDBOX_CSS } from './sandbox-styles.ts';
import type { SandboxTerminal } from './sandbox-terminal.ts';
import { ensureSource, isLayoutUrl, SANDBOX_LABEL, sharedEngine, useEngine } from './shared-engine.ts';

export interface SandboxOutputDetail {
  /** Decoded text as the container wrote it (with a TTY, stdout and stderr are one stream). */
  readonly text: string;
  readonly stream: 'stdout' | 'stderr';
}

export interface SandboxExitDetail {
  /** The container's exit code; 125–127 when it could not start, as `docker run` exits. */
  readonly code: number;
  readonly error?: string;
}

interface Editor {
  readonly path: string;
  readonly original: string;
  readonly textarea: HTMLTextAreaElement;
}

/** Attributes that shape the container: a change makes the next run use a new one. */
const CONTAINER_ATTRIBUTES = ['image', 'cmd', 'workdir', 'env', 'tty', 'volume', 'src'];

const enc = new TextEncoder();

/** A <file>'s text as written in the page, without the indentation the HTML around it adds. */
function dedent(text: string): string {
  const lines = text
    .replace(/^\s*\n/, '')
    .replace(/\n\s*$/, '')
    .split('\n');
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^[ \t]*/.exec(l)![0].length);
  if (indents.length === 0) return '';
  const indent = Math.min(...indents);
  return `${lines.map((l) => l.slice(indent)).join('\n')}\n`;
}

function words(value: string | null): string[] {
  return value === null || value.trim() === '' ? [] : splitCommandLine(value);
}

let sequence = 0;

export class ContainerSandbox extends HTMLElement {
  static readonly observedAttributes = [...CONTAINER_ATTRIBUTES, 'readonly'];

  /** Gives every sandbox of the page this engine instead of the one they would open themselves. */
  static useEngine(engine: Engine | Promise<Engine>): void {
    useEngine(engine);
  }

  private readonly uid = `sandbox-${++sequence}`;
  private editors: Editor[] = [];
  private ui?: { run: HTMLButtonElement; reset: HTMLButtonElement; status: HTMLElement; title: HTMLElement; output: HTMLElement };
  private terminal?: Promise<SandboxTerminal>;
  private containerId: string | undefined;
  private running: Promise<number> | undefined;
  private input: (() => void) | undefined;
  private autoran = false;

  connectedCallback(): void {
    // A sandbox defined before the page finished parsing waits for its <file> children.
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => this.setUp(), { once: true });
    else this.setUp();
  }

  attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    if (old === value || !this.ui) return;
    if (name === 'readonly') for (const e of this.editors) e.textarea.readOnly = value !== null;
    else {
      this.ui.title.textContent = this.describe();
      void this.dropContainer();
    }
  }

  /** Copies the files in, starts the container and resolves with its exit code once it ends. */
  run(): Promise<number> {
    return (this.running ??= this.execute().finally(() => {
      this.running = undefined;
    }));
  }

  /** Writes a file into the container now; a file with an editor gets the text there too. */
  async writeFile(path: string, data: string | Uint8Array): Promise<void> {
    const editor = this.editors.find((e) => e.path === path);
    if (editor) editor.textarea.value = typeof data === 'string' ? data : new TextDecoder().decode(data);
    const { engine, id } = await this.prepare();
    await putFiles(engine, id, [{ path, data: typeof data === 'string' ? enc.encode(data) : data }]);
  }

  /** A file of the container, as text (UTF-8) or, with `null`, as bytes. */
  readFile(path: string): Promise<string>;
  readFile(path: string, encoding: null): Promise<Uint8Array>;
  async readFile(path: string, encoding: 'utf8' | null = 'utf8'): Promise<string | Uint8Array> {
    const { engine, id } = await this.prepare();
    const bytes = await getFile(engine, id, path);
    return encoding === null ? bytes : new TextDecoder().decode(bytes);
  }

  /** Removes the container (and its writable layer) and puts the files back as the page wrote them. */
  async reset(): Promise<void> {
    await this.dropContainer();
    for (const e of this.editors) e.textarea.value = e.original;
    await this.clearOutput();
    if (this.ui) {
      this.ui.status.textContent = '';
      this.ui.status.classList.remove('failed');
    }
  }

  private setUp(): void {
    if (!this.ui) this.render();
    if (this.hasAttribute('autorun') && !this.autoran) {
      this.autoran = true;
      void this.run();
    }
  }

  private imageName(): string {
    const image = this.getAttribute('image');
    if (image) return image;
    const src = this.getAttribute('src');
    if (src && !isLayoutUrl(src)) return src;
    throw new InvalidParameterError('<container-sandbox> needs an image attribute (or a registry reference in src)');
  }

  private describe(): string {
    return [this.getAttribute('image') ?? this.getAttribute('src') ?? '', this.getAttribute('cmd') ?? ''].join(' ').trim();
  }

  private render(): void {
    const root = this.shadowRoot ?? this.attachShadow({ mode: 'open' });
    const style = document.createElement('style');
    style.textContent = SANDBOX_CSS;
    const bar = document.createElement('div');
    bar.className = 'bar';
    const title = document.createElement('span');
    title.className = 'title';
    title.textContent = this.describe();
    const status = document.createElement('span');
    status.className = 'status';
    status.setAttribute('role', 'status');
    const run = document.createElement('button');
    run.type = 'button';
    run.textContent = 'Run';
    run.setAttribute('aria-label', `Run ${this.describe()}`);
    run.addEventListener('click', () => void this.run());
    const reset = document.createElement('button');
    reset.type = 'button';
    reset.className = 'secondary';
    reset.textContent = 'Reset';
    reset.title = 'A new container, and the files as the page wrote them';
    reset.addEventListener('click', () => void this.reset());
    bar.append(title, status, run, reset);
    root.replaceChildren(style, bar);
    if (!this.hasAttribute('aria-label') && !this.hasAttribute('aria-labelledby')) this.setAttribute('aria-label', `Sandbox: ${this.describe()}`);
    this.setAttribute('role', 'region');

    this.editors = [...this.querySelectorAll(':scope > file')].map((f, i) => {
      const path = f.getAttribute('path') ?? '';
      const text = dedent(f.textContent ?? '');
      const box = document.createElement('div');
      box.className = 'file';
      const label = document.createElement('label');
      label.htmlFor = `${this.uid}-file-${i}`;
      label.textContent = path;
      const textarea = document.createElement('textarea');
      textarea.id = label.htmlFor;
      textarea.spellcheck = false;
      textarea.value = text;
      textarea.rows = Math.min(20, Math.max(2, text.split('\n').length));
      textarea.readOnly = this.hasAttribute('readonly');
      box.append(label, textarea);
      root.append(box);
      return { path, original: text, textarea };
    });

    const output = document.createElement(this.hasAttribute('tty') ? 'div' : 'pre');
    output.className = this.hasAttribute('tty') ? 'terminal' : 'output';
    output.setAttribute('aria-label', `Output of ${this.describe()}`);
    if (!this.hasAttribute('tty')) {
      output.setAttribute('role', 'log');
      output.setAttribute('aria-live', 'polite');
      output.tabIndex = 0;
    }
    root.append(output);
    this.ui = { run, reset, status, title, output };
  }

  /** The engine, the image and the container (made when there is none), for a run or a file. */
  private async prepare(): Promise<{ engine: Engine; id: string }> {
    const image = this.imageName();
    const engine = await sharedEngine();
    const src = this.getAttribute('src');
    if (src) await ensureSource(engine, src, image);
    if (this.containerId) {
      try {
        engine.containers.inspect(this.containerId);
        return { engine, id: this.containerId };
      } catch (e) {
        // Removed meanwhile (another tab of the page cleared what it took for leftovers).
        if (!(e instanceof NotFoundError)) throw e;
      }
    }
    const tty = this.hasAttribute('tty');
    const cmd = this.getAttribute('cmd');
    const workdir = this.getAttribute('workdir');
    const options: CreateOptions = {
      image,
      ...(cmd !== null ? { cmd: words(cmd) } : {}),
      ...(workdir ? { workdir } : {}),
      env: words(this.getAttribute('env')),
      volumes: words(this.getAttribute('volume')),
      tty,
      openStdin: tty,
      labels: { [SANDBOX_LABEL]: '1' },
    };
    this.containerId = (await engine.containers.create(options)).Id;
    return { engine, id: this.containerId };
  }

  private async execute(): Promise<number> {
    if (!this.ui) this.render();
    const ui = this.ui!;
    ui.run.disabled = true;
    ui.status.classList.remove('failed');
    ui.status.textContent = 'starting…';
    this.setAttribute('aria-busy', 'true');
    this.dispatchEvent(new CustomEvent('run', { bubbles: true, composed: true }));
    let exit: SandboxExitDetail;
    try {
      const { engine, id } = await this.prepare();
      await putFiles(
        engine,
        id,
        this.editors.map((e) => ({ path: e.path, data: enc.encode(e.textarea.value) })),
      );
      await this.clearOutput();
      const term = this.hasAttribute('tty') ? (await this.openTerminal()).term : undefined;
      const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
      const emit = (stream: 'stdout' | 'stderr', data: Uint8Array) => this.output(stream, decoders[stream].decode(data, { stream: true }));
      ui.status.textContent = 'running…';
      await engine.containers.start(id, { onStdout: (d) => emit('stdout', d), onStderr: (d) => emit('stderr', d) });
      if (term) this.connectTerminal(engine, id, term);
      const r = await engine.containers.wait(id);
      emit('stdout', new Uint8Array());
      emit('stderr', new Uint8Array());
      exit = { code: r.StatusCode, ...(r.Error ? { error: r.Error } : {}) };
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      // As `docker run` exits: 127 for a missing command, 126 for one that cannot run, 125 otherwise.
      exit = { code: e instanceof CommandNotFoundError ? 127 : e instanceof CannotRunError ? 126 : 125, error };
      this.output('stderr', `docker: Error response from daemon: ${error}\n`);
    } finally {
      this.input?.();
      this.input = undefined;
      ui.run.disabled = false;
      this.removeAttribute('aria-busy');
    }
    ui.status.textContent = `exit code ${exit.code}`;
    ui.status.classList.toggle('failed', exit.code !== 0);
    this.dispatchEvent(new CustomEvent<SandboxExitDetail>('exit', { detail: exit, bubbles: true, composed: true }));
    return exit.code;
  }

  private output(stream: 'stdout' | 'stderr', text: string): void {
    if (!text) return;
    const box = this.ui!.output;
    if (this.hasAttribute('tty')) void this.openTerminal().then((t) => t.term.write(text));
    else if (stream === 'stderr') {
      const span = document.createElement('span');
      span.className = 'stderr';
      span.textContent = text;
      box.append(span);
    } else box.append(text);
    if (!this.hasAttribute('tty')) box.scrollTop = box.scrollHeight;
    this.dispatchEvent(new CustomEvent<SandboxOutputDetail>('output', { detail: { text, stream }, bubbles: true, composed: true }));
  }

  private async clearOutput(): Promise<void> {
    if (!this.ui) return;
    if (this.terminal) (await this.terminal).term.reset();
    else if (!this.hasAttribute('tty')) this.ui.output.replaceChildren();
  }

  private openTerminal(): Promise<SandboxTerminal> {
    return (this.terminal ??= import('./sandbox-terminal.ts').then((m) => m.openTerminal(this, this.ui!.output, `Terminal of ${this.describe()}`)));
  }

  /** Keystrokes to the process: as they are to an x86 guest's pty, through a line discipline to a WASI program. */
  private connectTerminal(engine: Engine, id: string, term: SandboxTerminal['term']): void {
    const write = (data: Uint8Array | null) => void engine.containers.writeStdin(id, data).catch(() => undefined);
    let onData: (d: string) => void;
    if (hasKernelTerminal(engine.containers.inspect(id))) onData = (d) => write(enc.encode(d));
    else {
      const ld = new LineDiscipline({
        echo: (s) => term.write(s),
        send: (d) => write(enc.encode(d)),
        eof: () => write(null),
        interrupt: () => void engine.containers.kill(id, 'SIGINT').catch(() => undefined),
      });
      onData = (d) => ld.input(d);
    }
    const data = term.onData(onData);
    const resize = term.onResize(({ cols, rows }) => void engine.containers.resize(id, cols, rows).catch(() => undefined));
    void engine.containers.resize(id, term.cols, term.rows).catch(() => undefined);
    term.focus();
    this.input = () => {
      data.dispose();
      resize.dispose();
    };
  }

  private async dropContainer(): Promise<void> {
    const id = this.containerId;
    this.containerId = undefined;
    if (!id) return;
    const engine = await sharedEngine();
    await engine.containers.remove(id, { force: true }).catch((e: unknown) => {
      if (!(e instanceof NotFoundError)) throw e;
    });
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'container-sandbox': ContainerSandbox;
  }
}

if (!customElements.get('container-sandbox')) customElements.define('container-sandbox', ContainerSandbox);

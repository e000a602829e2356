// A small shell in the xterm.js terminal: a line editor (cursor keys, history, Ctrl-C/L/U/K/W),
// and the commands `docker …`, `clear` and `ls`. Everything docker goes through the CLI. While an
// interactive container reads the terminal (`docker run -it`, `exec -it`, `start -ai`, `attach`),
// keystrokes pass through raw to the CLI, which does the line discipline; the prompt comes back
// when the process ends.
import type { Terminal } from '@xterm/xterm';
import { type CliIO, runDocker } from '../cli/docker.ts';
import { humanSize } from '../cli/humanize.ts';
import type { VirtualFiles } from '../cli/virtual-files.ts';
import type { Engine } from '../engine/index.ts';
import { ShellSyntaxError, splitCommandLine } from '../engine/index.ts';

const PROMPT = '\x1b[1;32m$\x1b[0m ';
const PROMPT_WIDTH = 2;

/** An input line being edited: where it starts on screen, its text and the cursor in it. */
interface Edit {
  startCol: number;
  text: string;
  pos: number;
  /** Screen rows between the line's first row and the cursor's row. */
  cursorRow: number;
  readonly resolve: (line: string | null) => void;
  readonly withHistory: boolean;
}

export class Shell {
  private edit: Edit | undefined;
  private running: AbortController | undefined;
  /** Where keystrokes go while a command reads the terminal raw. */
  private raw: ((data: string) => void) | undefined;
  private readonly history: string[] = [];
  private historyPos = 0;
  private draft = '';
  /** Whether the last character written ended a line (so a prompt starts on a fresh one). */
  private atLineStart = true;
  /** Called after each command, e.g. to refresh panels that show files. */
  onCommandDone: () => void = () => undefined;

  constructor(
    private readonly term: Terminal,
    private readonly engine: Engine,
    private readonly files: VirtualFiles,
  ) {
    term.onData((d) => this.input(d));
  }

  write(s: string): void {
    if (s === '') return;
    this.term.write(s);
    this.atLineStart = s.endsWith('\n');
  }

  /** Reads and runs commands forever. */
  async run(): Promise<never> {
    for (;;) {
      if (!this.atLineStart) this.write('\n');
      this.write(PROMPT);
      const line = await this.readLine(true);
      if (line === null) continue;
      if (line.trim() && line !== this.history[this.history.length - 1]) this.history.push(line);
      await this.execute(line);
      this.onCommandDone();
    }
  }

  private async execute(line: string): Promise<void> {
    let words: string[];
    try {
      words = splitCommandLine(line);
    } catch (e) {
      if (!(e instanceof ShellSyntaxError)) throw e;
      this.write(`sh: syntax error: ${e.message}\n`);
      return;
    }
    const [cmd] = words;
    if (cmd === undefined) return;
    if (cmd === 'clear') {
      this.term.write('\x1b[H\x1b[2J\x1b[3J');
      this.atLineStart = true;
    } else if (cmd === 'ls') {
      for (const p of this.files.list()) this.write(`${humanSize(this.files.get(p)!.byteLength).padStart(9)}  ${p}\n`);
    } else if (cmd === 'docker') {
      await this.runDocker(words);
    } else {
      this.write(`sh: ${cmd}: not found\n`);
    }
  }

  private async runDocker(words: string[]): Promise<void> {
    const ac = new AbortController();
    this.running = ac;
    const io: CliIO = {
      stdout: (s) => this.write(s),
      stderr: (s) => this.write(s),
      isTTY: true,
      columns: this.term.cols,
      rows: this.term.rows,
      files: this.files,
      signal: ac.signal,
      readLine: () => this.readLine(false),
      stdin: {
        read: (onData) => {
          this.raw = onData;
          return () => {
            if (this.raw === onData) this.raw = undefined;
          };
        },
      },
      onResize: (listener) => {
        const d = this.term.onResize(({ cols, rows }) => listener(cols, rows));
        return () => d.dispose();
      },
    };
    try {
      await runDocker(this.engine, words, io);
    } catch (e) {
      // A bug, not a docker error: show it rather than leave the prompt stuck.
      console.error(e);
      this.write(`\x1b[31m${e instanceof Error ? (e.stack ?? e.message) : String(e)}\x1b[0m\n`);
    } finally {
      this.running = undefined;
      this.raw = undefined;
    }
  }

  /** Edits one line at the cursor; null when cancelled with Ctrl-C. */
  private async readLine(withHistory: boolean): Promise<string | null> {
    // The column after whatever was written (a prompt, a question) is known once xterm has drawn it.
    await new Promise<void>((r) => this.term.write('', r));
    this.historyPos = this.history.length;
    this.draft = '';
    return new Promise((resolve) => {
      this.edit = { startCol: this.term.buffer.active.cursorX, text: '', pos: 0, cursorRow: 0, resolve, withHistory };
    });
  }

  private input(data: string): void {
    if (this.raw) {
      this.raw(data);
      return;
    }
    const e = this.edit;
    if (!e) {
      if (data.includes('\x03') && this.running && !this.running.signal.aborted) {
        this.write('^C\n');
        this.running.abort();
      }
      return;
    }
    for (let i = 0; i < data.length; i++) {
      const seq = /^\x1b(\[[0-9;]*[A-Za-z~]|O[A-Za-z])/.exec(data.slice(i))?.[0];
      if (seq) {
        this.key(e, seq);
        i += seq.length - 1;
        continue;
      }
      const c = data[i]!;
      if (c === '\r' || c === '\n') {
        this.finish(e, e.text);
        return;
      }
      if (c === '\x03') {
        this.finish(e, null);
        this.running?.abort();
        return;
      }
      this.key(e, c);
    }
    this.render(e);
  }

  private finish(e: Edit, line: string | null): void {
    e.pos = e.text.length;
    this.render(e);
    this.write(line === null ? '^C\n' : '\n');
    this.edit = undefined;
    e.resolve(line);
  }

  private key(e: Edit, k: string): void {
    const t = e.text;
    switch (k) {
      case '\x7f':
      case '\b':
        if (e.pos > 0) {
          e.text = t.slice(0, e.pos - 1) + t.slice(e.pos);
          e.pos--;
        }
        break;
      case '\x1b[3~':
        e.text = t.slice(0, e.pos) + t.slice(e.pos + 1);
        break;
      case '\x1b[D':
        e.pos = Math.max(0, e.pos - 1);
        break;
      case '\x1b[C':
        e.pos = Math.min(t.length, e.pos + 1);
        break;
      case '\x01':
      case '\x1b[H':
      case '\x1bOH':
        e.pos = 0;
        break;
      case '\x05':
      case '\x1b[F':
      case '\x1bOF':
        e.pos = t.length;
        break;
      case '\x15':
        e.text = t.slice(e.pos);
        e.pos = 0;
        break;
      case '\x0b':
        e.text = t.slice(0, e.pos);
        break;
      case '\x17': {
        const start = t.slice(0, e.pos).replace(/\S+\s*$/, '').length;
        e.text = t.slice(0, start) + t.slice(e.pos);
        e.pos = start;
        break;
      }
      case '\x0c':
        // Clear the screen and redraw the prompt and line at the top.
        this.term.write('\x1b[H\x1b[2J');
        this.term.write(e.withHistory ? PROMPT : '');
        e.cursorRow = 0;
        e.startCol = e.withHistory ? PROMPT_WIDTH : 0;
        break;
      case '\x1b[A':
      case '\x1b[B':
        if (e.withHistory) this.browseHistory(e, k === '\x1b[A' ? -1 : 1);
        break;
      default:
        if (k >= ' ' && k !== '\x7f' && !k.startsWith('\x1b')) {
          e.text = t.slice(0, e.pos) + k + t.slice(e.pos);
          e.pos++;
        }
    }
  }

  private browseHistory(e: Edit, step: -1 | 1): void {
    const next = this.historyPos + step;
    if (next < 0 || next > this.history.length) return;
    if (this.historyPos === this.history.length) this.draft = e.text;
    this.historyPos = next;
    e.text = next === this.history.length ? this.draft : this.history[next]!;
    e.pos = e.text.length;
  }

  /** Redraws the line from its start (it may wrap over several rows) and places the cursor. */
  private render(e: Edit): void {
    const cols = this.term.cols;
    let s = (e.cursorRow > 0 ? `\x1b[${e.cursorRow}A` : '') + `\x1b[${e.startCol + 1}G\x1b[J${e.text}`;
    const end = e.startCol + e.text.length;
    // At the right margin xterm waits to wrap; force the wrap so row arithmetic holds.
    if (e.text.length > 0 && end % cols === 0) s += ' \r';
    const endRow = Math.floor(end / cols);
    const at = e.startCol + e.pos;
    const row = Math.floor(at / cols);
    if (endRow > row) s += `\x1b[${endRow - row}A`;
    s += `\x1b[${(at % cols) + 1}G`;
    e.cursorRow = row;
    this.term.write(s);
    this.atLineStart = false;
  }
}

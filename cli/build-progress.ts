// BuildKit's two progress displays for `docker build`: plain (`#3 [2/4] RUN make`, the step's
// output with its time, `#3 DONE 0.4s` or `#3 CACHED`), and on a terminal the redrawn block
// (`[+] Building 3.4s (6/9)`, one line per step, the last lines of a running step's output).
import type { BuildProgress } from '../engine/index.ts';

/** BuildKit's plain progress writer. */
export function plainProgress(write: (s: string) => void): (p: BuildProgress) => void {
  const decoder = new TextDecoder();
  let first = true;
  return (p) => {
    if (p.kind === 'vertex') {
      if (p.status === 'started') {
        write(`${first ? '' : '\n'}#${p.id} ${p.name}\n`);
        first = false;
      } else if (p.status === 'cached') write(`#${p.id} CACHED\n`);
      else if (p.status === 'done') write(`#${p.id} DONE ${(p.elapsed ?? 0).toFixed(1)}s\n`);
      else write(`#${p.id} ERROR: ${p.error}\n`);
    } else if (p.kind === 'log') {
      for (const line of outputLines(decoder.decode(p.data))) write(`#${p.id} ${p.elapsed.toFixed(3)} ${line}\n`);
    } else write(`#${p.id} ${p.text}\n`);
  };
}

/** `rawjson`: one BuildKit-like status object per line, for scripts. */
export function rawJsonProgress(write: (s: string) => void): (p: BuildProgress) => void {
  const decoder = new TextDecoder();
  return (p) => {
    if (p.kind === 'vertex') write(`${JSON.stringify({ vertexes: [{ id: p.id, name: p.name, status: p.status, elapsed: p.elapsed, error: p.error }] })}\n`);
    else if (p.kind === 'log') write(`${JSON.stringify({ logs: [{ vertex: p.id, stream: p.stream === 'stdout' ? 1 : 2, data: decoder.decode(p.data) }] })}\n`);
    else write(`${JSON.stringify({ statuses: [{ vertex: p.id, name: p.text }] })}\n`);
  };
}

function outputLines(text: string): string[] {
  return text.split('\n').filter((l, i, all) => l !== '' || i < all.length - 1);
}

interface Step {
  readonly name: string;
  readonly started: number;
  status: 'started' | 'done' | 'cached' | 'error';
  elapsed?: number;
  /** The running step's last output lines, shown under it. */
  logs: string[];
}

const CLEAR_LINE = '\x1b[2K';
const up = (n: number) => (n > 0 ? `\x1b[${n}A` : '');
/** BuildKit shows this many output lines of a running step. */
const LOG_LINES = 6;
/** Lines of steps kept on screen: a cursor cannot move above the top of the terminal. */
const MAX_STEP_LINES = 20;
const REDRAW_MS = 150;

/** BuildKit's terminal display: a block redrawn in place while the build runs, left as it ends. */
export class TtyBuildProgress {
  private readonly steps = new Map<number, Step>();
  private readonly decoder = new TextDecoder();
  private readonly t0 = performance.now();
  private drawn = 0;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly write: (s: string) => void,
    private readonly columns: number,
  ) {
    this.timer = setInterval(() => this.draw(false), REDRAW_MS);
  }

  readonly onProgress = (p: BuildProgress): void => {
    if (p.kind === 'vertex') {
      const step = this.steps.get(p.id);
      if (!step) this.steps.set(p.id, { name: p.name, started: performance.now(), status: p.status, logs: [] });
      else {
        step.status = p.status;
        if (p.elapsed !== undefined) step.elapsed = p.elapsed;
      }
    } else if (p.kind === 'log') {
      const step = this.steps.get(p.id);
      if (step) step.logs = [...step.logs, ...outputLines(this.decoder.decode(p.data))].slice(-LOG_LINES);
    }
  };

  /** The last frame, then what BuildKit prints of a failed step: its output. */
  finish(): void {
    clearInterval(this.timer);
    this.draw(true);
    for (const step of this.steps.values()) {
      if (step.status !== 'error') continue;
      this.write(`------\n > ${step.name}:\n${step.logs.map((l) => `${l}\n`).join('')}------\n`);
    }
  }

  private draw(final: boolean): void {
    const now = performance.now();
    const steps = [...this.steps.values()];
    const done = steps.filter((s) => s.status !== 'started').length;
    const lines = [`[+] Building ${((now - this.t0) / 1000).toFixed(1)}s (${done}/${steps.length})${final ? ' FINISHED' : ''}`];
    const width = Math.max(40, this.columns - 1);
    for (const s of steps) {
      const time = `${(s.elapsed ?? (now - s.started) / 1000).toFixed(1)}s`;
      const prefix = s.status === 'cached' ? ' => CACHED ' : s.status === 'error' ? ' => ERROR ' : ' => ';
      lines.push(fitLine(`${prefix}${s.name}`, time, width));
      if (s.status === 'started') for (const l of s.logs) lines.push(fitLine(` => => # ${l}`, '', width));
    }
    const shown = [lines[0]!, ...lines.slice(1).slice(-MAX_STEP_LINES)];
    let out = up(this.drawn);
    for (const l of shown) out += `${CLEAR_LINE}${l}\n`;
    // A frame shorter than the last one (a step's output gone when it ends) clears what is left.
    for (let i = shown.length; i < this.drawn; i++) out += `${CLEAR_LINE}\n`;
    if (this.drawn > shown.length) out += up(this.drawn - shown.length);
    this.drawn = shown.length;
    this.write(out);
  }
}

/** `text` and `right` on one line of `width` columns: text cut, right-aligned time. */
function fitLine(text: string, right: string, width: number): string {
  const room = width - right.length - 1;
  const left = text.length > room ? `${text.slice(0, Math.max(0, room - 3))}...` : text;
  return right ? `${left.padEnd(room)} ${right}` : left;
}

// Renders a progress stream the way docker's jsonmessage package does: on a terminal each layer
// gets a line that is redrawn in place (cursor up, clear line, rewrite, cursor down); elsewhere
// each layer's status is printed once whenever it changes, without bars.
import type { PullProgress } from '../engine/index.ts';
import { humanSize } from './humanize.ts';

/** One message of the stream: a line of its own, or (with `progress`) an updatable layer line. */
export interface ProgressMessage {
  readonly id?: string;
  readonly status: string;
  /** Present for per-layer updates, even without numbers: those lines are redrawn in place. */
  readonly progress?: { readonly current?: number; readonly total?: number };
}

/** docker's `JSONProgress.String()`: the bar only when the terminal is wider than 110 columns. */
export function progressBar(current: number, total: number, columns: number): string {
  if (current <= 0 && total <= 0) return '';
  if (total <= 0) return humanSize(current).padStart(8);
  const percentage = Math.min(50, Math.trunc(Math.trunc((current / total) * 100) / 2));
  const bar = columns > 110 ? `[${'='.repeat(percentage)}>${' '.repeat(Math.max(0, 50 - percentage))}] ` : '';
  const numbers = current > total ? humanSize(current).padStart(8) : `${humanSize(current).padStart(8)}/${humanSize(total)}`;
  return bar + numbers;
}

const CLEAR_LINE = '\x1b[2K';
const up = (n: number) => (n > 0 ? `\x1b[${n}A` : '');
const down = (n: number) => (n > 0 ? `\x1b[${n}B` : '');

export class ProgressRenderer {
  /** Terminal mode: line index of each layer line since the last plain line. */
  private readonly lines = new Map<string, number>();
  /** Plain mode: the last status printed for each layer. */
  private readonly printed = new Map<string, string>();

  constructor(
    private readonly write: (s: string) => void,
    private readonly opts: { readonly tty: boolean; readonly columns: number },
  ) {}

  message(m: ProgressMessage): void {
    const prefix = m.id ? `${m.id}: ` : '';
    if (!this.opts.tty) {
      if (m.id && m.progress) {
        if (this.printed.get(m.id) === m.status) return;
        this.printed.set(m.id, m.status);
      }
      this.write(`${prefix}${m.status}\n`);
      return;
    }
    if (!m.id || !m.progress) {
      // A plain line ends the block of layer lines: later updates never reach above it.
      this.lines.clear();
      this.write(`${prefix}${m.status}\n`);
      return;
    }
    let line = this.lines.get(m.id);
    if (line === undefined) {
      line = this.lines.size;
      this.lines.set(m.id, line);
      this.write('\n');
    }
    const diff = this.lines.size - line;
    const bar = progressBar(m.progress.current ?? 0, m.progress.total ?? 0, this.opts.columns);
    this.write(`${up(diff)}${CLEAR_LINE}\r${prefix}${m.status} ${bar}\r${down(diff)}`);
  }

  /** Feeds an engine pull/load progress event. */
  pull(p: PullProgress): void {
    if (p.kind === 'status') this.message({ status: p.message });
    else this.message({ id: p.id, status: p.status, progress: { current: p.current, total: p.total } });
  }
}

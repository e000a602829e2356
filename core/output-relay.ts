// Passes a process's stdout/stderr to the engine in few messages: a write after a quiet spell
// goes at once (a prompt, a program's first line), and the writes that follow it within the
// node's next task are joined (in order, per stream run), so a chatty loop does not flood the
// main thread.
import type { ProcessEvent } from '../core/protocol.ts';

const MAX_BATCH = 64 << 10;

export class OutputRelay {
  private runs: { stream: 1 | 2; parts: Uint8Array[]; bytes: number }[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly emit: (e: ProcessEvent) => void) {}

  push(stream: 1 | 2, data: Uint8Array): void {
    if (this.timer === undefined) {
      this.emit({ type: stream === 1 ? 'stdout' : 'stderr', data });
      this.timer = setTimeout(() => this.flush(), 0);
      return;
    }
    let last = this.runs[this.runs.length - 1];
    if (last?.stream !== stream) this.runs.push((last = { stream, parts: [], bytes: 0 }));
    last.parts.push(data);
    last.bytes += data.length;
    if (last.bytes >= MAX_BATCH) this.flush();
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const r of this.runs.splice(0)) {
      let data = r.parts[0]!;
      if (r.parts.length > 1) {
        data = new Uint8Array(r.bytes);
        let at = 0;
        for (const p of r.parts) {
          data.set(p, at);
          at += p.length;
        }
      }
      this.emit({ type: r.stream === 1 ? 'stdout' : 'stderr', data });
    }
  }
}

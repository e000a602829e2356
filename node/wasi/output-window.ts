// How much of a run's output may be on its way to a reader that has not taken it yet: a run
// that writes faster than its reader waits once the window is full, so output never piles up
// in a thread's message queue.

export class OutputWindow {
  private bytes = 0;
  private messages = 0;
  private waiting: (() => void) | undefined;

  /**
   * `resumeAt` is the share of the window the reader must have taken before the run goes on
   * (1 to wait until all of it is taken); `onFull` asks the reader to report what it took.
   */
  constructor(
    private readonly maxBytes: number,
    private readonly maxMessages: number,
    private readonly resumeAt: number,
    private readonly onFull: () => void = () => undefined,
  ) {}

  /** Counts one message of `bytes`; the promise, when there is one, is the run's wait. */
  spend(bytes: number): Promise<void> | undefined {
    this.bytes += bytes;
    this.messages++;
    if (this.bytes < this.maxBytes && this.messages < this.maxMessages) return undefined;
    this.onFull();
    return new Promise<void>((res) => (this.waiting = res));
  }

  /** The reader took this much; all of it when no figures are given. */
  taken(bytes = this.bytes, messages = this.messages): void {
    this.bytes -= bytes;
    this.messages -= messages;
    if (this.waiting && this.bytes <= this.free(this.maxBytes) && this.messages <= this.free(this.maxMessages)) {
      this.waiting();
      this.waiting = undefined;
    }
  }

  /** What may still be in flight for the run to resume (no limit stays no limit). */
  private free(max: number): number {
    return Number.isFinite(max) ? max * (1 - this.resumeAt) : max;
  }
}

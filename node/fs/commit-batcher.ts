/**
 * When a process's closed files reach IndexedDB. A commit per close cost 1.5 ms a file (2,500
 * small files: 3.8 s against 0.7 s in one commit at exit), so closes are batched: the batch is
 * committed BATCH_MS after the first close in it, or at once (the close waits for it) when
 * BATCH_PATHS paths are pending or the files closed since the last commit hold BATCH_BYTES (so
 * a program writing big files meets a full quota at a close, not only at its exit). fsync and
 * exit commit at once. A page that goes away loses at most the last BATCH_MS of closes; the
 * files stay as of the commit before.
 */
export const BATCH_MS = 50;
const BATCH_PATHS = 512;
const BATCH_BYTES = 8 << 20;

export class CommitBatcher {
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** A batch's commit that failed: the next close or sync reports it (ENOSPC or EIO), as a disk would. */
  private failure: unknown;
  /** Bytes of the files closed since the last commit began. */
  private bytes = 0;

  constructor(
    /** Commits every pending change; calls are serialized by the caller. */
    private readonly commit: (durable: boolean) => Promise<void>,
    /** Paths changed and not yet committed. */
    private readonly pending: () => number,
  ) {}

  /** A file of `bytes` was closed. A promise when the close must wait: a full batch, or an earlier failure. */
  closed(bytes = 0): Promise<void> | undefined {
    if (this.failure !== undefined) return this.takeFailure();
    this.bytes += bytes;
    if (this.pending() >= BATCH_PATHS || (this.bytes >= BATCH_BYTES && this.pending() > 0)) return this.now(false);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.commit(false).catch((e) => (this.failure ??= e));
    }, BATCH_MS);
    return undefined;
  }

  /** fsync or exit: everything pending, now; a failed batch's changes are still pending and retried. */
  now(durable: boolean): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.failure = undefined;
    this.bytes = 0;
    return this.commit(durable);
  }

  private takeFailure(): Promise<void> {
    const e = this.failure;
    this.failure = undefined;
    return Promise.reject(e);
  }
}

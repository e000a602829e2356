/**
 * When a process's closed files reach IndexedDB. A commit per close cost 1.5 ms a file (2,500
 * small files: 3.8 s against 0.7 s in one commit at exit), so closes are batched: the batch is
 * committed BATCH_MS after the first close in it, or at once (the close waits for it) when
 * BATCH_PATHS paths are pending. fsync and exit commit at once. A page that goes away loses at
 * most the last BATCH_MS of closes; the files stay as of the commit before.
 */
export const BATCH_MS = 50;
const BATCH_PATHS = 512;

export class CommitBatcher {
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** A batch's commit that failed: the next close or sync reports it (EIO), as a disk error would. */
  private failure: unknown;

  constructor(
    /** Commits every pending change; calls are serialized by the caller. */
    private readonly commit: (durable: boolean) => Promise<void>,
    /** Paths changed and not yet committed. */
    private readonly pending: () => number,
  ) {}

  /** A file was closed. A promise when the close must wait: a full batch, or an earlier failure. */
  closed(): Promise<void> | undefined {
    if (this.failure !== undefined) return this.takeFailure();
    if (this.pending() >= BATCH_PATHS) return this.now(false);
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
    return this.commit(durable);
  }

  private takeFailure(): Promise<void> {
    const e = this.failure;
    this.failure = undefined;
    return Promise.reject(e);
  }
}

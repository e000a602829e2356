/**
 * Many shared holders (pulls, loads) or one exclusive holder (garbage collection, which must
 * not delete data a running pull has written but not yet committed).
 */
export class RwLock {
  private shared = 0;
  private exclusive = false;
  private waiters: (() => void)[] = [];

  async withShared<T>(f: () => Promise<T>): Promise<T> {
    while (this.exclusive) await this.wait();
    this.shared++;
    try {
      return await f();
    } finally {
      this.shared--;
      this.wakeAll();
    }
  }

  async withExclusive<T>(f: () => Promise<T>): Promise<T> {
    while (this.exclusive || this.shared > 0) await this.wait();
    this.exclusive = true;
    try {
      return await f();
    } finally {
      this.exclusive = false;
      this.wakeAll();
    }
  }

  private wait(): Promise<void> {
    return new Promise((r) => this.waiters.push(r));
  }

  private wakeAll(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const r of w) r();
  }
}

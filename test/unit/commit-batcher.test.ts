// When closed files are committed: one batch per BATCH_MS, at once when many paths or bytes are pending, and a
// failed batch reported by the next close and retried by the next fsync or exit.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BATCH_MS, CommitBatcher } from '../../node/fs/commit-batcher.ts';

let commits: boolean[];
let pending: number;
let fail: Error | undefined;
const batcher = () =>
  new CommitBatcher(
    async (durable) => {
      commits.push(durable);
      if (fail) throw fail;
      pending = 0;
    },
    () => pending,
  );

beforeEach(() => {
  vi.useFakeTimers();
  commits = [];
  pending = 0;
  fail = undefined;
});
afterEach(() => vi.useRealTimers());

describe('CommitBatcher', () => {
  it('commits many closes in one batch, BATCH_MS after the first', async () => {
    const b = batcher();
    for (let i = 0; i < 100; i++) {
      pending++;
      expect(b.closed()).toBeUndefined();
    }
    await vi.advanceTimersByTimeAsync(BATCH_MS - 1);
    expect(commits).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(commits).toEqual([false]);
  });

  it('makes a close wait for the commit when 512 paths are pending', async () => {
    const b = batcher();
    pending = 512;
    await b.closed();
    expect(commits).toEqual([false]);
  });

  it('makes a close wait for the commit once the files closed since the last one hold 8 MiB', async () => {
    const b = batcher();
    pending = 1;
    expect(b.closed(5 << 20)).toBeUndefined();
    pending = 2;
    await b.closed(3 << 20);
    expect(commits).toEqual([false]);
    pending = 1;
    expect(b.closed(1 << 20)).toBeUndefined();
  });

  it('commits at once, durably, on fsync, and the timer does not commit again', async () => {
    const b = batcher();
    pending = 3;
    b.closed();
    await b.now(true);
    await vi.advanceTimersByTimeAsync(BATCH_MS * 2);
    expect(commits).toEqual([true]);
  });

  it('reports a failed batch at the next close, and retries it at the next fsync', async () => {
    const b = batcher();
    pending = 1;
    fail = new Error('QuotaExceededError');
    b.closed();
    await vi.advanceTimersByTimeAsync(BATCH_MS);
    expect(commits).toEqual([false]);
    await expect(b.closed()).rejects.toThrow('QuotaExceededError');
    fail = undefined;
    await b.now(true);
    expect(commits).toEqual([false, true]);
    expect(pending).toBe(0);
  });
});

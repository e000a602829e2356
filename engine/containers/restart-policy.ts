import type { RestartPolicy } from '../../core/store/container-types.ts';

/** Docker's restart manager: 100 ms, doubling per consecutive restart, at most a minute. */
const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 60_000;
/** A container that ran this long is healthy again: the backoff starts over. */
const RESET_AFTER_MS = 10_000;

export function shouldRestart(p: RestartPolicy, exitCode: number, restartCount: number, manuallyStopped: boolean): boolean {
  if (manuallyStopped) return false;
  switch (p.Name) {
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure':
      return exitCode !== 0 && (p.MaximumRetryCount === 0 || restartCount < p.MaximumRetryCount);
    default:
      return false;
  }
}

/** The delay before the next restart, given the previous one and how long the container ran. */
export function nextDelay(previousMs: number, ranMs: number): number {
  if (previousMs === 0 || ranMs >= RESET_AFTER_MS) return FIRST_DELAY_MS;
  return Math.min(previousMs * 2, MAX_DELAY_MS);
}

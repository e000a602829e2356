import type { HealthConfig } from '../../core/oci/manifest.ts';
import type { ContainerRecord, HealthState } from '../../core/store/container-types.ts';
import type { EventBus } from '../events.ts';
import type { ExecHandle, ExecOptions } from './container-io.ts';
import type { ContainerRecords } from './container-records.ts';

/** Docker's defaults (daemon/health.go). */
const DEFAULT_INTERVAL_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_START_INTERVAL_MS = 5_000;
const DEFAULT_RETRIES = 3;
const KEPT_PROBES = 5;
/** Docker keeps this much of a probe's output. */
const MAX_OUTPUT = 4096;

const ms = (ns: number | undefined, dflt: number) => (ns ? ns / 1e6 : dflt);

export interface HealthMonitorDeps {
  readonly records: ContainerRecords;
  readonly events: EventBus;
  readonly exec: (id: string, o: ExecOptions) => Promise<ExecHandle>;
}

interface Chain {
  timer?: ReturnType<typeof setTimeout>;
}

/** Whether a container's config asks for probes (`["NONE"]` disables the image's). */
export function probes(h: HealthConfig | undefined): h is HealthConfig & { Test: readonly string[] } {
  return !!h?.Test?.length && h.Test[0] !== 'NONE';
}

/**
 * A running container's HEALTHCHECK, as Docker's daemon runs it: a probe (an exec in the
 * container) every interval, `starting` until the first success, `unhealthy` after `Retries`
 * failures in a row once the start period is over; `health_status` events on each change. A
 * pause stops the probes and an unpause starts them again, keeping the status.
 */
export class HealthMonitor {
  /** Each container's chain of probes and its next one's timer; a probe of an ended chain records nothing. */
  private readonly chains = new Map<string, Chain>();
  /** After the engine's shutdown no probe is scheduled or recorded (one may still be finishing). */
  private closed = false;

  constructor(private readonly deps: HealthMonitorDeps) {
    deps.events.subscribe((e) => {
      if (e.Type !== 'container') return;
      if (e.Action === 'start') this.begin(e.Actor.ID, true);
      else if (e.Action === 'unpause') this.begin(e.Actor.ID, false);
      else if (e.Action === 'die' || e.Action === 'destroy' || e.Action === 'pause') this.end(e.Actor.ID);
    });
  }

  /** Schedules probes: from `starting` at a start (`fresh`), from the status kept at an unpause. */
  private begin(id: string, fresh: boolean): void {
    const r = this.deps.records.get(id);
    if (!r || !probes(r.Config.Healthcheck)) return;
    this.end(id);
    const chain: Chain = {};
    this.chains.set(id, chain);
    const startedAt = fresh ? Date.now() : Date.parse(r.State.StartedAt);
    if (fresh) void this.setHealth(r, { Status: 'starting', FailingStreak: 0, Log: [] });
    const schedule = (h: HealthConfig, starting: boolean) => {
      if (this.closed || this.chains.get(id) !== chain) return;
      const inStart = starting && Date.now() - startedAt < ms(h.StartPeriod, 0);
      const wait = inStart ? ms(h.StartInterval, DEFAULT_START_INTERVAL_MS) : ms(h.Interval, DEFAULT_INTERVAL_MS);
      chain.timer = setTimeout(
        () =>
          void this.probe(id, startedAt, chain).then(
            (again) => again && schedule(h, this.deps.records.get(id)?.State.Health?.Status === 'starting'),
            (e) => console.warn(`healthcheck of ${id.slice(0, 12)} failed:`, e),
          ),
        wait,
      );
    };
    schedule(r.Config.Healthcheck, fresh || r.State.Health?.Status === 'starting');
  }

  private end(id: string): void {
    clearTimeout(this.chains.get(id)?.timer);
    this.chains.delete(id);
  }

  /** One probe; false when the container is gone, stopped or paused. */
  private async probe(id: string, startedAt: number, chain: Chain): Promise<boolean> {
    const r = this.deps.records.get(id);
    const h = r?.Config.Healthcheck;
    if (!r?.State.Running || !probes(h)) return false;
    const cmd = h.Test[0] === 'CMD-SHELL' ? ['/bin/sh', '-c', h.Test.slice(1).join(' ')] : h.Test.slice(1);
    const start = new Date();
    const output: string[] = [];
    const decoder = new TextDecoder();
    const collect = (d: Uint8Array) => output.push(decoder.decode(d, { stream: true }));
    let code: number;
    try {
      const handle = await this.deps.exec(id, { cmd, onStdout: collect, onStderr: collect });
      const timeout = ms(h.Timeout, DEFAULT_TIMEOUT_MS);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<'timeout'>((res) => (timer = setTimeout(() => res('timeout'), timeout)));
      const result = await Promise.race([handle.exit, timedOut]);
      clearTimeout(timer);
      if (result === 'timeout') {
        await handle.kill().catch(() => undefined);
        code = -1;
        output.push(`Health check exceeded timeout (${timeout / 1000}s)`);
      } else {
        code = result.code;
        if (result.error) output.push(result.error);
      }
    } catch (e) {
      code = -1;
      output.push((e as Error).message);
    }
    const cur = this.deps.records.get(id);
    if (this.closed || !cur?.State.Running || this.chains.get(id) !== chain) return false;
    const prev = cur.State.Health ?? { Status: 'starting' as const, FailingStreak: 0, Log: [] };
    const entry = { Start: start.toISOString(), End: new Date().toISOString(), ExitCode: code, Output: output.join('').slice(0, MAX_OUTPUT) };
    const Log = [...prev.Log, entry].slice(-KEPT_PROBES);
    let next: HealthState;
    if (code === 0) next = { Status: 'healthy', FailingStreak: 0, Log };
    else {
      const streak = prev.FailingStreak + 1;
      // Failures in the start period do not count while it has never succeeded.
      const grace = prev.Status === 'starting' && Date.now() - startedAt < ms(h.StartPeriod, 0);
      const retries = h.Retries || DEFAULT_RETRIES;
      next = { Status: !grace && streak >= retries ? 'unhealthy' : prev.Status, FailingStreak: grace ? prev.FailingStreak : streak, Log };
    }
    await this.setHealth(cur, next);
    return true;
  }

  private async setHealth(r: ContainerRecord, h: HealthState): Promise<void> {
    const changed = r.State.Health?.Status !== h.Status;
    // Announced as the record changes (in memory at once), so whoever sees the status also saw the event.
    const saved = this.deps.records.save({ ...r, State: { ...r.State, Health: h } });
    if (changed) this.deps.events.container(`health_status: ${h.Status}`, r);
    await saved;
  }

  close(): void {
    this.closed = true;
    for (const id of [...this.chains.keys()]) this.end(id);
  }
}

// HEALTHCHECK over a real Engine (fake-indexeddb) whose nodes are fakes that interpret argv
// (fake-node.ts): probes as execs, healthy/unhealthy with retries and a start period, Docker's
// `docker ps` wording and `State.Health`, `health_status` events, and the flags' errors.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VirtualFiles } from '../../../cli/virtual-files.ts';
import type { Engine } from '../../../engine/engine.ts';
import type { EngineEvent } from '../../../engine/events.ts';
import { containerEngine, dockerCommand, until } from '../../support/cli-helpers.ts';

let engine: Engine;
let files: VirtualFiles;
const docker = (line: string) => dockerCommand(engine, line, files);
const MS = 1e6;

beforeEach(async () => {
  ({ engine, files } = await containerEngine());
});
afterEach(async () => {
  await new Promise((r) => setTimeout(r, 60));
  engine.close();
});

describe('healthchecks', () => {
  it('a passing probe makes the container healthy, as ps, inspect and events show', async () => {
    const events: EngineEvent[] = [];
    engine.onEvent((e) => events.push(e));
    const { Id } = await engine.containers.create({
      image: 'test/tools',
      name: 'ok',
      cmd: ['spin'],
      healthcheck: { Test: ['CMD', 'tools.wasm', 'exit', '0'], Interval: 30 * MS },
    });
    await engine.containers.start(Id);
    expect(engine.containers.inspect(Id).State.Health?.Status).toBe('starting');
    expect((await docker('docker ps --format "{{.Status}}"')).stdout).toMatch(/^Up .* \(health: starting\)\n$/);
    await until(() => engine.containers.inspect(Id).State.Health?.Status === 'healthy');
    const h = engine.containers.inspect(Id).State.Health!;
    expect(h.FailingStreak).toBe(0);
    expect(h.Log[0]).toMatchObject({ ExitCode: 0 });
    expect((await docker('docker ps --format "{{.Status}}"')).stdout).toMatch(/^Up .* \(healthy\)\n$/);
    expect(events.filter((e) => e.Action.startsWith('health_status')).map((e) => e.Action)).toEqual(['health_status: starting', 'health_status: healthy']);
    // Probes stop with the container; at most five are kept.
    await until(() => engine.containers.inspect(Id).State.Health!.Log.length === 5);
    await engine.containers.stop(Id, { timeout: 0 });
    const kept = engine.containers.inspect(Id).State.Health!.Log.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(engine.containers.inspect(Id).State.Health!.Log.length).toBe(kept);
  });

  it('--health-cmd failing --health-retries times in a row makes it unhealthy, with the probe’s output', async () => {
    const r = await docker('docker run -d --name sick --health-cmd "exit 1" --health-interval 20ms --health-retries 2 test/tools spin');
    expect(r.code, r.stderr).toBe(0);
    await until(() => engine.containers.inspect('sick').State.Health?.Status === 'unhealthy');
    const rec = engine.containers.inspect('sick');
    // Unset (zero) fields are left out, as Docker's omitempty does.
    expect(rec.Config.Healthcheck).toEqual({ Test: ['CMD-SHELL', 'exit 1'], Interval: 20 * MS, Retries: 2 });
    expect(rec.State.Health!.FailingStreak).toBeGreaterThanOrEqual(2);
    // /bin/sh is not a program of the fake node's tools: it says so, as a real probe's output would.
    expect(rec.State.Health!.Log.at(-1)!.Output).toContain('usage: tools');
    expect((await docker('docker ps --format "{{.Names}} {{.Status}}"')).stdout).toMatch(/^sick Up .* \(unhealthy\)\n$/);
    expect((await docker('docker inspect -f "{{.State.Health.Status}}" sick')).stdout).toBe('unhealthy\n');
  });

  it('failures in the start period do not count until a probe has passed', async () => {
    const { Id } = await engine.containers.create({
      image: 'test/tools',
      cmd: ['spin'],
      healthcheck: { Test: ['CMD', 'tools.wasm', 'exit', '1'], Interval: 10 * MS, StartInterval: 10 * MS, StartPeriod: 10_000 * MS, Retries: 1 },
    });
    await engine.containers.start(Id);
    await until(() => (engine.containers.inspect(Id).State.Health?.Log.length ?? 0) >= 3);
    expect(engine.containers.inspect(Id).State.Health).toMatchObject({ Status: 'starting', FailingStreak: 0 });
  });

  it('--no-healthcheck disables the image’s; bad flags are errors of the flags', async () => {
    const off = await docker('docker create --name off --no-healthcheck test/tools spin');
    expect(off.code, off.stderr).toBe(0);
    expect(engine.containers.inspect('off').Config.Healthcheck).toEqual({ Test: ['NONE'] });
    const both = await docker('docker run -d --no-healthcheck --health-cmd true test/tools spin');
    expect(both).toMatchObject({ code: 125, stderr: expect.stringContaining('--no-healthcheck conflicts with --health-* options') });
    const bad = await docker('docker run -d --health-interval 5 test/tools spin');
    expect(bad.code).toBe(125);
    expect(bad.stderr).toContain('time: invalid duration "5"');
  });
});

// Shared set-up for CLI command tests: a real Engine over fake-indexeddb with fixture images.
import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { dockerCommand, runDocker, VirtualFiles, type CliIO } from '../../../runtime/cli/docker.ts';
import { Engine } from '../../../runtime/engine.ts';
import { fixturesDir } from '../../fixtures/registry.ts';

let dbCount = 0;

/** A fresh engine (its own database) and virtual files. */
export async function freshEngine(): Promise<{ engine: Engine; files: VirtualFiles }> {
  const engine = await Engine.open({ dbName: `cli-test-${process.pid}-${++dbCount}` });
  return { engine, files: new VirtualFiles() };
}

export function fixtureArchive(name: 'busybox-docker.tar' | 'busybox-oci.tar'): Uint8Array {
  return new Uint8Array(readFileSync(path.join(fixturesDir(), 'archives', name)));
}

/** `docker load` of the fixture busybox (fixtures/busybox:latest). */
export async function loadBusybox(engine: Engine): Promise<void> {
  await engine.images.load(fixtureArchive('busybox-docker.tar'));
}

export const BUSYBOX_ID = 'sha256:db841300849aeb91edebdff26e424ff7455603765ebd8641a438568992201390';
/** The fixture images' config `created` time (2000-01-01T00:00:00Z). */
export const FIXTURE_CREATED = 946684800;

export { dockerCommand };

/** Runs a command as the terminal does (TTY), collecting output; `input` answers prompts. */
export async function ttyCommand(
  engine: Engine,
  cmdline: string,
  opts: { files?: VirtualFiles; columns?: number; input?: string[]; signal?: AbortSignal } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const input = [...(opts.input ?? [])];
  const io: CliIO = {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    isTTY: true,
    columns: opts.columns ?? 120,
    files: opts.files ?? new VirtualFiles(),
    ...(opts.signal ? { signal: opts.signal } : {}),
    readLine: async () => input.shift() ?? null,
  };
  const code = await runDocker(engine, cmdline, io);
  return { code, stdout, stderr };
}

// Shared set-up for CLI command tests: a real Engine over fake-indexeddb with fixture images.
import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type CliIO, dockerCommand, runDocker, VirtualFiles } from '../../cli/docker.ts';
import { Engine } from '../../engine/engine.ts';
import { type FakeCluster, fakeNodes } from './fake-node.ts';
import { fixturesDir } from './registry.ts';
import { loadToolsImage } from './tools-image.ts';

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

/** A fresh engine with two fake nodes (processes "run": see fake-node.ts) and test/tools loaded. */
export async function containerEngine(): Promise<{ engine: Engine; files: VirtualFiles; cluster: FakeCluster }> {
  const { factory, cluster } = fakeNodes();
  const engine = await Engine.open({ dbName: `cli-test-${process.pid}-${++dbCount}`, nodes: 2, nodeFactory: factory });
  await loadToolsImage(engine);
  return { engine, files: new VirtualFiles(), cluster };
}

/**
 * A terminal for interactive commands: `type` delivers keystrokes to whoever reads stdin (as the
 * demo's terminal does in raw mode), `resize` reports a new size; output is collected.
 */
export class FakeTerminal {
  stdout = '';
  stderr = '';
  private reader: ((data: string) => void) | undefined;
  private readonly resizeListeners = new Set<(c: number, r: number) => void>();
  readonly controller = new AbortController();
  readonly io: CliIO;

  constructor(files = new VirtualFiles()) {
    this.io = {
      stdout: (s) => (this.stdout += s),
      stderr: (s) => (this.stderr += s),
      isTTY: true,
      columns: 100,
      rows: 30,
      files,
      signal: this.controller.signal,
      stdin: {
        read: (onData) => {
          this.reader = onData;
          return () => {
            if (this.reader === onData) this.reader = undefined;
          };
        },
      },
      onResize: (l) => {
        this.resizeListeners.add(l);
        return () => this.resizeListeners.delete(l);
      },
      readLine: async () => null,
    };
  }

  get reading(): boolean {
    return this.reader !== undefined;
  }

  /** Waits until a command reads the keyboard, then types `keys`. */
  async type(keys: string): Promise<void> {
    await until(() => this.reading);
    this.reader!(keys);
  }

  resize(columns: number, rows: number): void {
    for (const l of this.resizeListeners) l(columns, rows);
  }
}

/** Polls `cond` every few milliseconds until it holds (or fails after `ms`). */
export async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting for a condition');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A command that streams until stopped (`docker events`): its output so far, and `stop()`, which aborts it and gives its status. */
export function streamingDocker(engine: Engine, cmdline: string, files: VirtualFiles): { out(): string; stop(): Promise<number> } {
  const ac = new AbortController();
  let out = '';
  const done = runDocker(engine, cmdline, { stdout: (s) => (out += s), stderr: (s) => (out += s), isTTY: false, columns: 80, files, signal: ac.signal });
  return {
    out: () => out,
    stop: () => {
      ac.abort();
      return done;
    },
  };
}

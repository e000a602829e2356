// Runs in Chromium next to test/browser/node-harness.ts, for bench/wasi.ts: the bare-shim side
// (bench/wasi-shim-worker.ts), exposed as `window.BW`. Times are taken on this thread from the
// message that starts the run, as node-harness.ts takes a container process's.
import type { FromShim, ToShim } from './wasi-shim-worker.ts';

export interface BareRun {
  readonly stdout: string;
  readonly code: number;
  readonly error?: string;
  /** ms from the start (new Worker for a cold run, the run message for a warm one) to the first output, to exit. */
  readonly firstOutputMs?: number;
  readonly exitMs: number;
}

const ENV = ['PATH=/bin', 'PWD=/']; // what the container's process gets (node-harness spec + PWD)
let bytes: ArrayBuffer | undefined;
let warm: Worker | undefined;

const newWorker = () => new Worker(new URL('/bench/wasi-shim-worker.ts', location.origin), { type: 'module', name: 'bare-shim' });

function send(w: Worker, m: ToShim, transfer: Transferable[] = []): void {
  w.postMessage(m, transfer);
}

/** Waits for `ready`. */
function ready(w: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    w.onmessage = (e: MessageEvent<FromShim>) => (e.data.t === 'ready' ? resolve() : reject(new Error(JSON.stringify(e.data))));
    w.onerror = (e) => reject(new Error(e.message));
  });
}

/** Collects a run's output until exit; times from t0. */
function outcome(w: Worker, t0: number): Promise<BareRun> {
  const dec = new TextDecoder();
  let stdout = '';
  let first: number | undefined;
  return new Promise((resolve, reject) => {
    w.onerror = (e) => reject(new Error(e.message));
    w.onmessage = (e: MessageEvent<FromShim>) => {
      const m = e.data;
      if (m.t === 'out') {
        first ??= performance.now() - t0;
        stdout += dec.decode(m.data);
      } else if (m.t === 'exit') {
        resolve({
          stdout,
          code: m.code,
          ...(m.error ? { error: m.error } : {}),
          ...(first !== undefined ? { firstOutputMs: first } : {}),
          exitMs: performance.now() - t0,
        });
      }
    };
  });
}

const BW = {
  async init(url: string): Promise<number> {
    bytes = await (await fetch(url)).arrayBuffer();
    return bytes.byteLength;
  },
  /** A new Worker, compile, run: the shim's cold start. */
  async cold(argv: readonly string[]): Promise<BareRun> {
    const copy = bytes!.slice(0);
    const t0 = performance.now();
    const w = newWorker();
    const done = outcome(w, t0);
    send(w, { t: 'run', argv, env: ENV, bytes: copy }, [copy]);
    try {
      return await done;
    } finally {
      w.terminate();
    }
  },
  /** The warm Worker: the module compiled, `count` small files in DIR in its memory filesystem. */
  async prepareWarm(dir: string, count: number): Promise<void> {
    warm ??= newWorker();
    const copy = bytes!.slice(0);
    let r = ready(warm);
    send(warm, { t: 'compile', bytes: copy }, [copy]);
    await r;
    r = ready(warm);
    send(warm, { t: 'files', dir, count });
    await r;
  },
  /** A run on the warm Worker: instantiate the kept module and start it. */
  warm(argv: readonly string[]): Promise<BareRun> {
    const w = warm!;
    const t0 = performance.now();
    const done = outcome(w, t0);
    send(w, { t: 'run', argv, env: ENV });
    return done;
  },
  /**
   * A warm run while a process Worker boots alongside, as a node starts its next one at each
   * process's first message: how much that costs a CPU-bound process here.
   */
  async warmBesideBoot(argv: readonly string[]): Promise<BareRun> {
    const done = BW.warm(argv);
    const boot = new Worker(new URL('/node/wasi/process-worker.ts', location.origin), { type: 'module', name: 'process' });
    try {
      return await done;
    } finally {
      boot.terminate();
    }
  },
};
(window as unknown as { BW: typeof BW }).BW = BW;
export type BareHarness = typeof BW;

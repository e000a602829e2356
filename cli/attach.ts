// The CLI's end of a running process (`run`, `start -a`, `attach`, `exec`): its output decoded per
// stream (one stream with a TTY, as a terminal has), input forwarded (keystrokes through the line
// discipline on a terminal, piped data otherwise), terminal resizes, and Ctrl-C: SIGINT to the
// process (docker's sig-proxy, and what a TTY's ^C does) or, where docker would just end the
// client, detaching from a process that keeps running.
import type { Engine } from '../engine/index.ts';
import type { CliIO } from './command.ts';
import { LineDiscipline } from './line-discipline.ts';

export interface ProcessEnds {
  /** Data for the process's stdin; null closes it. */
  write(data: Uint8Array | null): Promise<void>;
  /** Delivers SIGINT. */
  interrupt(): Promise<void>;
  resize?(columns: number, rows: number): Promise<void>;
}

export interface SessionOptions {
  /** The process has a TTY: one output stream; Ctrl-C always interrupts it. */
  readonly tty: boolean;
  /** Forward input (`-i`). */
  readonly stdin: boolean;
  /** Ctrl-C without a TTY interrupts the process rather than detaching (`--sig-proxy`). */
  readonly sigProxy: boolean;
  /**
   * The process has a real terminal (an x86 guest's pty): keystrokes go to it as they are, and
   * the guest echoes, edits lines and turns ^C into SIGINT. Otherwise the CLI does that itself.
   */
  readonly rawInput?: boolean;
}

const enc = new TextEncoder();

export class AttachSession {
  private readonly decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  private readonly cleanups: (() => void)[] = [];
  private writes: Promise<void> = Promise.resolve();
  private resolveDetached!: () => void;
  /** Settles when the user detached: the process keeps running without us. */
  readonly detached = new Promise<'detached'>((r) => (this.resolveDetached = () => r('detached')));
  readonly listeners = {
    onStdout: (data: Uint8Array) => this.output('stdout', data),
    onStderr: (data: Uint8Array) => this.output('stderr', data),
  };

  constructor(
    private readonly io: CliIO,
    private readonly opts: SessionOptions,
  ) {}

  output(stream: 'stdout' | 'stderr', data: Uint8Array): void {
    const s = this.decoders[stream].decode(data, { stream: true });
    if (s) (stream === 'stderr' && !this.opts.tty ? this.io.stderr : this.io.stdout)(s);
  }

  /** Connects input, resizes and Ctrl-C to the process once it runs. */
  begin(p: ProcessEnds): void {
    const send = (data: Uint8Array | null) => {
      this.writes = this.writes.then(() => p.write(data)).catch(() => undefined);
    };
    const ctrlC = (fromSignal: boolean) => {
      const interrupt = fromSignal ? !this.opts.tty && this.opts.sigProxy : this.opts.tty || this.opts.sigProxy;
      if (interrupt) void p.interrupt().catch(() => undefined);
      else this.detach();
    };
    if (this.opts.stdin) {
      const input = this.io.stdin;
      if (!input) send(null);
      else if (this.io.isTTY && this.opts.tty && this.opts.rawInput) {
        this.cleanups.push(
          input.read(
            (d) => send(enc.encode(d)),
            () => send(null),
          ),
        );
      } else if (this.io.isTTY) {
        const ld = new LineDiscipline({
          echo: (s) => this.io.stdout(s),
          send: (d) => send(enc.encode(d)),
          eof: () => send(null),
          interrupt: () => ctrlC(false),
        });
        this.cleanups.push(
          input.read(
            (d) => ld.input(d),
            () => send(null),
          ),
        );
      } else {
        this.cleanups.push(
          input.read(
            (d) => send(enc.encode(d)),
            () => send(null),
          ),
        );
      }
    }
    if (this.opts.tty && p.resize) {
      const resize = p.resize.bind(p);
      void resize(this.io.columns, this.io.rows ?? 24).catch(() => undefined);
      const off = this.io.onResize?.((c, r) => void resize(c, r).catch(() => undefined));
      if (off) this.cleanups.push(off);
    }
    const signal = this.io.signal;
    if (signal) {
      const onAbort = () => ctrlC(true);
      if (signal.aborted) onAbort();
      else {
        signal.addEventListener('abort', onAbort);
        this.cleanups.push(() => signal.removeEventListener('abort', onAbort));
      }
    }
  }

  /** Stops waiting for the process, which keeps running. */
  detach(): void {
    this.resolveDetached();
  }

  /** Flushes partly decoded output and lets go of the terminal. */
  end(): void {
    for (const c of this.cleanups.splice(0)) c();
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = this.decoders[stream].decode();
      if (rest) (stream === 'stderr' && !this.opts.tty ? this.io.stderr : this.io.stdout)(rest);
    }
  }
}

export interface ExitWatch {
  /** The container's next exit: its status and the engine's reason, if any. */
  readonly exited: Promise<{ code: number; error: string }>;
  cancel(): void;
}

/** How long `--rm` waits for the engine to remove the container after it exits. */
const REMOVAL_WAIT_MS = 5000;

/**
 * Watches for a container's next exit (docker's wait condition `next-exit`, or `removed` with
 * `--rm`). Set up before the container starts, so an exit right after the start is not missed.
 */
export function watchExit(engine: Engine, id: string, opts: { removed?: boolean } = {}): ExitWatch {
  let finish!: (r: { code: number; error: string }) => void;
  const exited = new Promise<{ code: number; error: string }>((r) => (finish = r));
  let result: { code: number; error: string } | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const done = () => {
    off();
    clearTimeout(timer);
    finish(result!);
  };
  const off = engine.onEvent((e) => {
    if (e.Type !== 'container' || e.Actor.ID !== id) return;
    if (e.Action === 'die' && !result) {
      let error = '';
      try {
        error = engine.containers.inspect(id).State.Error;
      } catch {
        // removed already
      }
      result = { code: Number(e.Actor.Attributes['exitCode'] ?? 0), error };
      if (!opts.removed) done();
      else timer = setTimeout(done, REMOVAL_WAIT_MS);
    } else if (e.Action === 'destroy' && result) done();
  });
  return {
    exited,
    cancel: () => {
      off();
      clearTimeout(timer);
    },
  };
}

// `docker pause` for a WASI process: it is held at a syscall until `unpause`. The node's messages
// reach the process Worker only while the module is suspended (JSPI), so the gate also suspends
// it now and then to let them in; a program that computes without syscalls runs on until its next
// one. Without JSPI nothing can be held: the node refuses the pause.

/** Syscalls between looks at the clock: performance.now() costs more than most syscalls. */
const CHECK_EVERY = 128;
/** Longest a process that makes syscalls goes without letting the Worker's messages in (ms). */
const LET_IN_MS = 50;

let channel: MessageChannel | undefined;
const queued: (() => void)[] = [];

/**
 * Resolves after the tasks already queued for this Worker (its messages) have run. Not
 * setTimeout(0): nested, it is held back 4 ms.
 */
function nextTask(): Promise<void> {
  if (!channel) {
    channel = new MessageChannel();
    channel.port1.onmessage = () => queued.shift()?.();
  }
  const port = channel.port2;
  return new Promise((resolve) => {
    queued.push(resolve);
    port.postMessage(null);
  });
}

export class PauseGate {
  private paused = false;
  private budget = CHECK_EVERY;
  private lastLetIn = performance.now();
  private resume: (() => void) | undefined;

  pause(): void {
    this.paused = true;
  }

  unpause(): void {
    this.paused = false;
    this.resume?.();
    this.resume = undefined;
  }

  /** At the start of every syscall: a promise to wait for (held, or letting messages in), or undefined to go on. */
  enter(): Promise<void> | undefined {
    if (!this.paused && --this.budget > 0) return undefined;
    this.budget = CHECK_EVERY;
    if (!this.paused && performance.now() - this.lastLetIn < LET_IN_MS) return undefined;
    return this.letIn();
  }

  /** Time went by in a syscall (a sleep, output sent): the next one looks at the clock. */
  lookSoon(): void {
    this.budget = 0;
  }

  private async letIn(): Promise<void> {
    await nextTask();
    while (this.paused) await new Promise<void>((r) => (this.resume = r));
    this.lastLetIn = performance.now();
  }
}

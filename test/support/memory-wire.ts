/**
 * An in-memory Ethernet cable between two frame endpoints (stacks, or anything with onFrame and
 * input), for tests and benchmarks of the stack. Frames are delivered on a microtask, never
 * inside the sender's call, as a real wire would; it can lose and reorder frames on purpose.
 */
export interface FrameEndpoint {
  onFrame(listener: (frame: Uint8Array) => void): void;
  input(frame: Uint8Array): void;
}

export interface WireOptions {
  /** Fraction of frames lost, 0 to 1. */
  readonly dropRate?: number;
  /** Fraction of frames held back and delivered after the next frame the same way. */
  readonly reorderRate?: number;
  /** Source of randomness in [0, 1) for losses and reordering (seed it for a repeatable run). */
  readonly random?: () => number;
  /** Sees every frame put on the wire, lost or not. */
  readonly tap?: (frame: Uint8Array, from: 'a' | 'b') => void;
}

export interface WireStats {
  frames: number;
  bytes: number;
  dropped: number;
  reordered: number;
}

class Direction {
  private queue: Uint8Array[] = [];
  private held: Uint8Array | undefined;
  private scheduled = false;

  constructor(
    private readonly to: FrameEndpoint,
    private readonly options: WireOptions,
    private readonly stats: WireStats,
  ) {}

  send(frame: Uint8Array): void {
    this.stats.frames++;
    this.stats.bytes += frame.length;
    const random = this.options.random ?? Math.random;
    if (random() < (this.options.dropRate ?? 0)) {
      this.stats.dropped++;
      return;
    }
    if (this.held === undefined && random() < (this.options.reorderRate ?? 0)) {
      this.stats.reordered++;
      this.held = frame;
    } else {
      this.queue.push(frame);
      if (this.held) this.queue.push(this.held);
      this.held = undefined;
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const frames = this.queue;
    this.queue = [];
    // A held frame with nothing behind it goes out late rather than never.
    if (frames.length === 0 && this.held) {
      frames.push(this.held);
      this.held = undefined;
    }
    for (const f of frames) this.to.input(f);
    if (this.held) this.schedule();
  }
}

export class MemoryWire {
  readonly stats: WireStats = { frames: 0, bytes: 0, dropped: 0, reordered: 0 };

  constructor(a: FrameEndpoint, b: FrameEndpoint, options: WireOptions = {}) {
    const toB = new Direction(b, options, this.stats);
    const toA = new Direction(a, options, this.stats);
    a.onFrame((frame) => {
      options.tap?.(frame, 'a');
      toB.send(frame);
    });
    b.onFrame((frame) => {
      options.tap?.(frame, 'b');
      toA.send(frame);
    });
  }
}

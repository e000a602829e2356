export type EventType = 'image' | 'container' | 'volume' | 'network' | 'node' | 'service' | 'daemon';

/** An engine event, shaped like the Docker Engine API's `/events` messages. */
export interface EngineEvent {
  readonly Type: EventType;
  readonly Action: string;
  readonly Actor: { readonly ID: string; readonly Attributes: Readonly<Record<string, string>> };
  readonly scope: 'local';
  /** Seconds since the epoch. */
  readonly time: number;
  readonly timeNano: number;
}

export type EventListener = (e: EngineEvent) => void;

/** What a container event is told of its container. */
interface ContainerEventSource {
  readonly Id: string;
  readonly Name: string;
  readonly Config: { readonly Image: string; readonly Labels: Readonly<Record<string, string>> };
}

export class EventBus {
  private readonly listeners = new Set<EventListener>();

  emit(type: EventType, action: string, id: string, attributes: Record<string, string> = {}): void {
    const nowMs = Date.now();
    const e: EngineEvent = {
      Type: type,
      Action: action,
      Actor: { ID: id, Attributes: attributes },
      scope: 'local',
      time: Math.floor(nowMs / 1000),
      timeNano: nowMs * 1e6,
    };
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        console.error('event listener failed', err);
      }
    }
  }

  /**
   * A container event with the attributes Docker gives one: the container's labels, its image and
   * name, then what the action adds (exit code, signal, exec ID), so label filters and
   * `docker compose events` find a container's events.
   */
  container(action: string, rec: ContainerEventSource, attributes: Record<string, string> = {}): void {
    this.emit('container', action, rec.Id, { ...rec.Config.Labels, image: rec.Config.Image, name: rec.Name.slice(1), ...attributes });
  }

  /** Calls `listener` for every event until the returned function is called. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Events as an async stream, ending when `signal` aborts. */
  async *stream(signal?: AbortSignal): AsyncGenerator<EngineEvent> {
    const queue: EngineEvent[] = [];
    let wake: (() => void) | undefined;
    const off = this.subscribe((e) => {
      queue.push(e);
      wake?.();
    });
    const onAbort = () => wake?.();
    signal?.addEventListener('abort', onAbort);
    try {
      while (!signal?.aborted) {
        if (queue.length === 0) await new Promise<void>((r) => (wake = r));
        wake = undefined;
        while (queue.length) yield queue.shift()!;
      }
    } finally {
      off();
      signal?.removeEventListener('abort', onAbort);
    }
  }
}

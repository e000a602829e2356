// The one engine every <container-sandbox> on a page shares (one node pool, one store), and the
// images their `src` attributes name, each loaded once per page however many sandboxes use it.
import { Engine, type EngineOptions, NotFoundError } from '../engine/index.ts';
import { hasSameOriginProxy } from '../site/proxy-probe.ts';

/** Marks the containers sandboxes make, so a later visit can clear those an earlier one left. */
export const SANDBOX_LABEL = 'org.container-sandbox';

/** Sandboxes keep their own database, apart from the demo's. */
const DEFAULT_DB = 'container-sandbox';

let shared: Promise<Engine> | undefined;
const sources = new Map<string, Promise<void>>();

async function openDefault(): Promise<Engine> {
  const proxy = await hasSameOriginProxy();
  const options: EngineOptions = { dbName: DEFAULT_DB, ...(proxy ? { registry: { proxy: `${location.origin}/` } } : {}) };
  const engine = await Engine.open(options);
  await removeLeftovers(engine);
  return engine;
}

/** Sandbox containers that are not running belong to pages that have gone away. */
async function removeLeftovers(engine: Engine): Promise<void> {
  for (const c of engine.containers.list({ all: true, filters: { label: [SANDBOX_LABEL] } })) {
    if (c.State !== 'running' && c.State !== 'paused' && c.State !== 'restarting') {
      await engine.containers.remove(c.Id, { force: true }).catch(() => undefined);
    }
  }
}

export function sharedEngine(): Promise<Engine> {
  return (shared ??= openDefault());
}

/** Hands the sandboxes an engine the page opened itself (before the first one runs). */
export function useEngine(engine: Engine | Promise<Engine>): void {
  shared = Promise.resolve(engine);
  sources.clear();
}

/** `src` is an OCI layout's URL (a path, or http(s)://…) or else a registry reference. */
export function isLayoutUrl(src: string): boolean {
  return /^(https?:|\/|\.\.?\/)/.test(src) || src.endsWith('/');
}

/**
 * Makes `image` available: an OCI layout is loaded (its blobs already stored are not fetched
 * again, so a reload costs its index only); a reference is pulled unless the store has it.
 */
export function ensureSource(engine: Engine, src: string, image: string): Promise<void> {
  const key = isLayoutUrl(src) ? new URL(src, location.href).href : src;
  let p = sources.get(key);
  if (!p) {
    p = (async () => {
      if (isLayoutUrl(src)) {
        await engine.images.loadLayout(key);
        return;
      }
      const present = await engine.images.inspect(image).then(
        () => true,
        (e: unknown) => (e instanceof NotFoundError ? false : Promise.reject(e)),
      );
      if (!present) await engine.images.pull(src);
    })();
    // A failed load is tried again by the next run.
    p.catch(() => sources.delete(key));
    sources.set(key, p);
  }
  return p;
}

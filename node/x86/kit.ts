// Fetches the guest kit (built by scripts/guest-kit/build.sh, served from demo/public/guest/)
// and v86's wasm, once per node: every container of the node restores from the same bytes. The
// inflated state is kept in the Cache API, so a new node or a reload does not inflate it again.

import v86WasmUrl from 'v86/build/v86.wasm?url';
import v86Package from 'v86/package.json';
import { type GuestKitManifest, pickMemory, stateFile } from './guest-options.ts';

const DEFAULT_KIT_URL = '/guest/';
const HOW_TO_BUILD = 'build it with `bash scripts/guest-kit/build.sh` (`npm run setup` runs it)';

class GuestKitError extends Error {}

export class GuestKit {
  private manifestP: Promise<GuestKitManifest> | undefined;
  private moduleP: Promise<WebAssembly.Module> | undefined;
  private readonly states = new Map<number, Promise<ArrayBuffer>>();

  constructor(private readonly baseUrl: string = DEFAULT_KIT_URL) {}

  private url(file: string): string {
    return new URL(file, new URL(this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`, self.location.href)).href;
  }

  manifest(): Promise<GuestKitManifest> {
    this.manifestP ??= (async () => {
      const url = this.url('kit.json');
      const r = await fetch(url).catch(() => undefined);
      if (!r?.ok) throw new GuestKitError(`the x86 guest kit is missing (${url}: ${r ? r.status : 'unreachable'}); ${HOW_TO_BUILD}`);
      const kit = (await r.json()) as GuestKitManifest;
      if (kit.v86 !== v86Package.version) {
        throw new GuestKitError(`the x86 guest kit was saved with v86 ${kit.v86}, this build has ${v86Package.version}; rebuild it: ${HOW_TO_BUILD}`);
      }
      return kit;
    })();
    this.manifestP.catch(() => (this.manifestP = undefined));
    return this.manifestP;
  }

  /** The guest RAM (MiB) of the smallest saved machine that holds `memoryLimit` bytes. */
  async memoryFor(memoryLimit: number): Promise<number> {
    const kit = await this.manifest();
    const mib = pickMemory(kit, memoryLimit);
    if (mib === undefined) {
      throw new GuestKitError(
        `no saved x86 machine has ${Math.ceil(memoryLimit / (1 << 20))} MiB of memory (the kit has ${kit.memoryMiB.join(', ')} MiB); ` +
          `build one with GUEST_KIT_MEMORY_MIB="${kit.memoryMiB.join(' ')} <MiB>" bash scripts/guest-kit/build.sh`,
      );
    }
    return mib;
  }

  module(): Promise<WebAssembly.Module> {
    this.moduleP ??= WebAssembly.compileStreaming(fetch(v86WasmUrl));
    this.moduleP.catch(() => (this.moduleP = undefined));
    return this.moduleP;
  }

  /**
   * The saved machine, inflated: from this node's memory, else from the Cache API (inflated by an
   * earlier node or page), else fetched and inflated, and kept there for the next.
   */
  state(memoryMiB: number): Promise<ArrayBuffer> {
    let p = this.states.get(memoryMiB);
    if (!p) {
      p = (async () => {
        const url = this.url(stateFile(memoryMiB));
        const sha = (await this.manifest()).files[stateFile(memoryMiB)]?.sha256;
        const cache = sha && typeof caches !== 'undefined' ? await caches.open(INFLATED_CACHE).catch(() => undefined) : undefined;
        const key = `${url}?inflated=${sha}`;
        const kept = await cache?.match(key).catch(() => undefined);
        if (kept) return kept.arrayBuffer();
        const state = await this.inflate(url);
        if (cache) void keepInflated(cache, key, url, state);
        return state;
      })();
      p.catch(() => this.states.delete(memoryMiB));
      this.states.set(memoryMiB, p);
    }
    return p;
  }

  private async inflate(url: string): Promise<ArrayBuffer> {
    const r = await fetch(url);
    if (!r.ok) throw new GuestKitError(`the x86 guest kit's state ${url} is missing (${r.status}); ${HOW_TO_BUILD}`);
    const bytes = await r.arrayBuffer();
    // A server may have inflated it already (Content-Encoding); otherwise it starts with gzip's magic.
    const gzip = new Uint8Array(bytes, 0, 2);
    if (gzip[0] !== 0x1f || gzip[1] !== 0x8b) return bytes;
    try {
      return await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))).arrayBuffer();
    } catch (e) {
      throw new GuestKitError(`the x86 guest kit's state ${url} is damaged (${(e as Error).message}); ${HOW_TO_BUILD}`);
    }
  }
}

/** Where inflated states are kept across nodes and reloads (about 32 MB for 128 MiB of RAM). */
const INFLATED_CACHE = 'x86-guest-states';

/** Keeps `state` under `key`, dropping what an older kit left for the same file. Best effort: a full quota only costs the next node an inflate. */
async function keepInflated(cache: Cache, key: string, url: string, state: ArrayBuffer): Promise<void> {
  try {
    for (const old of await cache.keys()) if (old.url.startsWith(`${url}?`) && old.url !== new URL(key).href) await cache.delete(old);
    await cache.put(key, new Response(new Blob([state])));
  } catch {
    // Not kept: the next node inflates again.
  }
}

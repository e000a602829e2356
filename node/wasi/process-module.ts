// The entrypoint's compiled module: from the node's cache, or read, capped to the memory limit,
// compiled, and checked to be a WASI command whose imports this runtime provides.
import type { ContentLoader } from '../fs/content-loader.ts';
import type { FileNode } from '../fs/nodes.ts';
import { capMemory, InitialMemoryTooLarge } from './memory-limit.ts';
import { PROVIDED } from './preview1.ts';
import { CannotRun } from './process-exit.ts';
import { moduleKey } from './process-messages.ts';
import { isRubyInteropImport, isRubyReactor } from './ruby-reactor.ts';

export const WASI_MODULE = 'wasi_snapshot_preview1';

export interface ModuleSource {
  readonly entry: FileNode;
  /** argv[0], for messages. */
  readonly path: string;
  /** Memory cap in pages; 0 = none. */
  readonly maxPages: number;
  readonly memoryLimit: number;
  readonly cache: ReadonlyMap<string, WebAssembly.Module>;
  readonly loader: ContentLoader;
  /** Called with a module this process compiled, for the node to keep. */
  readonly compiled: (key: string, module: WebAssembly.Module) => void;
}

export async function obtainModule(s: ModuleSource): Promise<{ module: WebAssembly.Module; cached: boolean }> {
  const sha = s.entry.content.sha;
  const key = sha !== undefined ? moduleKey(sha, s.maxPages) : undefined;
  const hit = key ? s.cache.get(key) : undefined;
  if (hit) {
    checkLinkage(hit, s.path);
    return { module: hit, cached: true };
  }
  const bytes = s.entry.content.loaded ? s.entry.content.bytes() : await s.loader.load(sha!, s.entry.content.hint());
  if (!bytes) throw new CannotRun({ code: 126, error: `exec ${s.path}: cannot read the file` });
  if (bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new CannotRun({ code: 126, error: `exec ${s.path}: exec format error: not a WebAssembly module` });
  }
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile((s.maxPages ? capMemory(bytes, s.maxPages) : bytes) as Uint8Array<ArrayBuffer>);
  } catch (e) {
    if (e instanceof InitialMemoryTooLarge) {
      throw new CannotRun({ code: 137, oomKilled: true, error: `out of memory: ${e.message}, above the memory limit of ${s.memoryLimit} bytes` });
    }
    throw new CannotRun({ code: 126, error: `exec ${s.path}: exec format error: ${(e as Error).message}` });
  }
  if (key) s.compiled(key, module);
  checkLinkage(module, s.path);
  return { module, cached: false };
}

/** Every import is one this runtime provides, and the module is a command (or CRuby's reactor). */
function checkLinkage(module: WebAssembly.Module, path: string): void {
  const ruby = isRubyReactor(module);
  const unknown = WebAssembly.Module.imports(module).filter(
    (i) => !(ruby && isRubyInteropImport(i)) && (i.module !== WASI_MODULE || i.kind !== 'function' || !PROVIDED.has(i.name)),
  );
  if (unknown.length) {
    const names = unknown.map((i) => `${i.module}.${i.name}`);
    throw new CannotRun({ code: 126, error: `exec ${path}: unknown import: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}` });
  }
  const exports = WebAssembly.Module.exports(module);
  if (!ruby && !exports.some((e) => e.name === '_start' && e.kind === 'function')) {
    throw new CannotRun({ code: 126, error: `exec ${path}: exec format error: the module has no _start (not a WASI command)` });
  }
  if (!exports.some((e) => e.name === 'memory' && e.kind === 'memory')) {
    throw new CannotRun({ code: 126, error: `exec ${path}: exec format error: the module exports no memory` });
  }
}

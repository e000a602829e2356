// What a page downloads from the built package (scripts/package/build-package.ts), gzipped: a
// module and everything it imports statically, which the browser fetches before the module runs.
// Dynamic imports and Workers are not followed: they load later, and only when used.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

/** `import … from "./x.js"`, `import "./x.js"`, `export … from "./x.js"`: not `import("./x.js")`. */
const STATIC_IMPORT = /\b(?:import|export)\s*(?:[\w$*{}\s,]*?\bfrom\s*)?["'](\.{1,2}\/[^"']+)["']/g;

/** `file` (relative to `dir`) and the files it imports statically, transitively, relative to `dir`. */
export async function staticClosure(dir: string, file: string): Promise<string[]> {
  const seen = new Set<string>();
  const visit = async (rel: string): Promise<void> => {
    if (seen.has(rel)) return;
    seen.add(rel);
    const code = await readFile(path.join(dir, rel), 'utf8');
    for (const [, spec] of code.matchAll(STATIC_IMPORT)) await visit(path.posix.join(path.posix.dirname(rel), spec!));
  };
  await visit(file);
  return [...seen].sort();
}

/** Gzipped bytes of each file (level 9, as a static host or CDN would serve them). */
export async function gzippedBytes(dir: string, files: readonly string[]): Promise<number> {
  let total = 0;
  for (const f of files) total += gzipSync(await readFile(path.join(dir, f)), { level: 9 }).length;
  return total;
}

export interface PackageSizes {
  /** `createEngine`'s module and its static imports: what `import … from 'browser-container-engine'` costs. */
  readonly core: number;
  /** The Workers an engine starts when it opens (its nodes, their first process Worker, the network). */
  readonly workers: number;
  /** The CLI's own code, beyond the core it shares. */
  readonly cli: number;
  /** `<container-sandbox>`'s own code, beyond the core (its terminal, xterm, loads with its first TTY). */
  readonly element: number;
  /** The x86 executor, loaded on the first linux/386 container: v86, its wasm and the guest Worker. */
  readonly x86: number;
}

/** The Workers an engine starts at once, by their bundle names (see build-package.ts). */
const OPENING_WORKERS = ['workers/node-agent.js', 'workers/process-worker.js', 'workers/fabric-worker.js'];
/** What the first linux/386 container loads: every bundle of the x86 executor. */
const X86_FILES = /^(?:chunks\/x86-node-.*\.js|workers\/guest-worker\.js|assets\/v86-.*\.wasm)$/;

/** The sizes of the package built in `dir`. */
export async function packageSizes(dir: string): Promise<PackageSizes> {
  const files = (await readdir(dir, { recursive: true })).map((f) => f.split(path.sep).join('/'));
  const core = await staticClosure(dir, 'index.js');
  const workers = new Set<string>();
  for (const w of OPENING_WORKERS) for (const f of await staticClosure(dir, w)) workers.add(f);
  const beyondCore = async (entry: string) => (await staticClosure(dir, entry)).filter((f) => !core.includes(f));
  return {
    core: await gzippedBytes(dir, core),
    workers: await gzippedBytes(dir, [...workers]),
    cli: await gzippedBytes(dir, await beyondCore('cli.js')),
    element: await gzippedBytes(dir, await beyondCore('element.js')),
    x86: await gzippedBytes(
      dir,
      files.filter((f) => X86_FILES.test(f)),
    ),
  };
}

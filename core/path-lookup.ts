// PATH lookup as execvp does it, shared by the engine (over an image's merged tree, before a
// process is sent to a node) and the node (over the process's own filesystem), so both find the
// same executable.

/** Docker's PATH for a container whose image sets none. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * What PATH lookup needs of a filesystem: the regular file an absolute path names (symlinks
 * followed; the path may hold `//` or `..`), as whatever the caller wants back, or undefined
 * when the path names nothing or something that is not a regular file.
 */
export type RegularFileAt<F> = (path: string) => F | undefined;

/**
 * The executable a bare command name (no `/`) resolves to: each directory of the environment's
 * PATH in order, the name as given, then with `.wasm` (how WASI images name their commands).
 */
export function searchPath<F>(name: string, env: readonly string[], fileAt: RegularFileAt<F>): F | undefined {
  const path = env.find((e) => e.startsWith('PATH='))?.slice(5) ?? DEFAULT_PATH;
  for (const dir of path.split(':').filter(Boolean)) {
    for (const candidate of [name, `${name}.wasm`]) {
      const found = fileAt(`${dir}/${candidate}`);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

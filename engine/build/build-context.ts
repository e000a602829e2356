import { InvalidParameterError } from '../../core/errors.ts';
import { tarFiles } from '../../core/unpack/tar-files.ts';
import type { BuildContext } from './builder.ts';
import { parseDockerignore } from './dockerfile/dockerignore.ts';

/** Docker's default limit is the daemon's disk; a tab's memory is the limit here. */
const MAX_CONTEXT_BYTES = 512 * 1024 * 1024;

/**
 * A build context from files (context-relative path → bytes): `.dockerignore` applied, except that
 * the Dockerfile and `.dockerignore` stay readable, as the builder reads them anyway.
 */
export function buildContext(files: Iterable<readonly [string, Uint8Array]>, dockerfile = 'Dockerfile'): BuildContext {
  const all = new Map<string, Uint8Array>();
  let bytes = 0;
  for (const [path, data] of files) {
    const p = path.replace(/^(\.\/)+/, '').replace(/^\/+/, '');
    if (!p) continue;
    if (p.split('/').includes('..')) throw new InvalidParameterError(`build context entry ${path} climbs out of the context`);
    bytes += data.byteLength;
    if (bytes > MAX_CONTEXT_BYTES) throw new InvalidParameterError(`build context is larger than ${MAX_CONTEXT_BYTES / 1024 / 1024} MiB`);
    all.set(p, data);
  }
  const ignore = all.get('.dockerignore');
  if (!ignore) return { files: all };
  const matcher = parseDockerignore(new TextDecoder().decode(ignore));
  return { files: new Map([...all].filter(([p]) => p === dockerfile || p === '.dockerignore' || !matcher.excludes(p))) };
}

/** A context sent as a tar (`docker build - < ctx.tar`, a tar among the host files, a URL). */
export async function buildContextFromTar(tar: Uint8Array, dockerfile = 'Dockerfile'): Promise<BuildContext> {
  return buildContext(
    (await tarFiles(tar)).map((f) => [f.name, f.data] as const),
    dockerfile,
  );
}

// Files in and out of a sandbox's container, as `docker cp` moves them: a tar put into (or read
// from) its writable layer through the engine's archive API, for WASI and x86 containers alike.
import { concatBytes, type Engine, InvalidParameterError, NotFoundError, readTar, type TarWriteEntry, writeTarEntries } from '../engine/index.ts';

export interface SandboxFile {
  /** An absolute path in the container. */
  readonly path: string;
  readonly data: Uint8Array;
}

function absolute(path: string): string {
  if (!path.startsWith('/')) throw new InvalidParameterError(`file path must be absolute: ${path}`);
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..') || parts.length === 0) throw new InvalidParameterError(`file path must name a file below /: ${path}`);
  return `/${parts.join('/')}`;
}

async function exists(engine: Engine, id: string, path: string): Promise<boolean> {
  return engine.containers.statPath(id, path).then(
    () => true,
    (e: unknown) => (e instanceof NotFoundError ? false : Promise.reject(e)),
  );
}

/** Writes the files into the container, making the directories they need (mode 0755) and only those. */
export async function putFiles(engine: Engine, id: string, files: readonly SandboxFile[]): Promise<void> {
  if (files.length === 0) return;
  const mtime = Math.floor(Date.now() / 1000);
  const entries: TarWriteEntry[] = [];
  const seen = new Set<string>();
  for (const f of files) {
    const parts = absolute(f.path).slice(1).split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (seen.has(dir)) continue;
      seen.add(dir);
      // An existing directory keeps its own mode and owner (/tmp stays 1777).
      if (!(await exists(engine, id, `/${dir}`))) entries.push({ name: dir, type: 'dir', mode: 0o755, mtime });
    }
    entries.push({ name: parts.join('/'), type: 'file', mode: 0o644, mtime, data: f.data });
  }
  await engine.containers.putArchive(id, '/', writeTarEntries(entries));
}

/** A file's bytes, read from the container's filesystem (its image's layers under its writable layer). */
export async function getFile(engine: Engine, id: string, path: string): Promise<Uint8Array> {
  const abs = absolute(path);
  const tar = await engine.containers.getArchive(id, abs);
  for await (const { header, body } of readTar(
    (async function* () {
      yield tar;
    })(),
  )) {
    if (header.type !== 'file') throw new InvalidParameterError(`not a regular file: ${abs}`);
    const parts: Uint8Array[] = [];
    for await (const p of body) parts.push(p);
    return concatBytes(parts);
  }
  throw new NotFoundError(`Could not find the file ${abs} in container ${id}`);
}

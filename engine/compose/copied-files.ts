import { type TarWriteEntry, writeTarEntries } from '../../core/archive/tar-writer.ts';
import { InvalidParameterError, NotFoundError } from '../../core/errors.ts';
import type { ComposeFileObject, ComposeProject } from './model/compose-model.ts';

/** The page's host files, by absolute path in the project's directory tree. */
export interface HostFiles {
  get(path: string): Uint8Array | undefined;
  /** The files below directory `path`, relative to it. */
  under(path: string): readonly string[];
}

const enc = new TextEncoder();

/** Every directory on the way to `path` (without a leading slash), then the file. */
function withParents(entries: Map<string, TarWriteEntry>, path: string, data: Uint8Array, mode: number): void {
  const parts = path.split('/').filter(Boolean);
  for (let i = 1; i < parts.length; i++) {
    const dir = `${parts.slice(0, i).join('/')}/`;
    if (!entries.has(dir)) entries.set(dir, { name: dir, type: 'dir', mode: 0o755 });
  }
  entries.set(parts.join('/'), { name: parts.join('/'), type: 'file', data, mode });
}

function objectBytes(kind: 'secret' | 'config', name: string, o: ComposeFileObject, host: HostFiles | undefined): Uint8Array {
  if (o.content !== undefined) return enc.encode(o.content);
  if (o.environment !== undefined) throw new InvalidParameterError(`${kind} ${name}: environment-based ${kind}s have no environment to read in a browser tab`);
  if (o.file === undefined) throw new InvalidParameterError(`${kind} ${name}: external ${kind}s need a swarm`);
  const data = host?.get(o.file);
  if (!data) throw new NotFoundError(`${kind} ${name}: open ${o.file}: no such file or directory`);
  return data;
}

/**
 * What a service's container gets copied into it before it starts: its bind mounts' host files, and
 * its secrets (`/run/secrets/NAME`) and configs (`/NAME`), as a tar for `putArchive` at `/`. A tab
 * has no host directory to bind, so a bind mount is a copy taken at creation (see the README).
 */
export function copiedFiles(project: ComposeProject, service: string, host: HostFiles | undefined): Uint8Array | undefined {
  const s = project.services[service]!;
  const entries = new Map<string, TarWriteEntry>();
  for (const v of s.volumes) {
    if (v.type !== 'bind' || !v.source) continue;
    const single = host?.get(v.source);
    if (single) withParents(entries, v.target, single, 0o644);
    else {
      const below = host?.under(v.source) ?? [];
      if (!below.length) throw new NotFoundError(`bind source path does not exist: ${v.source}`);
      for (const rel of below) withParents(entries, `${v.target}/${rel}`, host!.get(`${v.source}/${rel}`)!, 0o644);
    }
  }
  for (const ref of s.secrets ?? []) {
    const target = ref.target?.startsWith('/') ? ref.target : `/run/secrets/${ref.target ?? ref.source}`;
    withParents(entries, target, objectBytes('secret', ref.source, project.secrets[ref.source]!, host), 0o444);
  }
  for (const ref of s.configs ?? []) {
    const target = ref.target?.startsWith('/') ? ref.target : `/${ref.target ?? ref.source}`;
    withParents(entries, target, objectBytes('config', ref.source, project.configs[ref.source]!, host), 0o444);
  }
  return entries.size ? writeTarEntries([...entries.values()]) : undefined;
}

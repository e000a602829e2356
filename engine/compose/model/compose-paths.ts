/**
 * Paths in a project: files are read by their path relative to the project directory ('/'-separated, no
 * leading './'), while the model holds absolute paths, as `docker compose config` prints them.
 */

import { cleanPath } from '../../../core/clean-path.ts';

/** `a/b` + `../c` → `a/c`; keeps leading `..` of a path above the directory; `''` is the directory itself. */
export function joinPath(dir: string, path: string): string {
  if (path.startsWith('/')) return normalizePath(path);
  return normalizePath(dir ? `${dir}/${path}` : path);
}

/** Go's path.Clean, with the directory itself as `''` (how this module names it). */
function normalizePath(path: string): string {
  const clean = cleanPath(path);
  return clean === '.' ? '' : clean;
}

export function dirName(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : slash === 0 ? '/' : path.slice(0, slash);
}

export function baseName(path: string): string {
  return path.split('/').filter(Boolean).pop() ?? '';
}

/** A project-relative path made absolute under `projectDirectory`. */
export function absolutePath(projectDirectory: string, path: string): string {
  return joinPath(projectDirectory, path) || '/';
}

/** An absolute path as the project-relative one a ComposeSource reads (`/app/x/.env` in `/app` → `x/.env`). */
export function sourcePath(projectDirectory: string, path: string): string {
  if (!path.startsWith('/')) return joinPath('', path);
  const from = projectDirectory.split('/').filter(Boolean);
  const to = path.split('/').filter(Boolean);
  let common = 0;
  while (common < from.length && from[common] === to[common]) common++;
  return [...from.slice(common).map(() => '..'), ...to.slice(common)].join('/');
}

/** A volume's short-syntax source that is a host path rather than a volume name (05-services.md). */
export const isHostPath = (source: string) => source.startsWith('.') || source.startsWith('/') || source.startsWith('~');

/** A build context that is a URL (git, http) rather than a directory. */
export const isRemoteContext = (context: string) => /^(https?:\/\/|git@|git:\/\/|github\.com\/)/.test(context) || context.includes('://');

type Dict = Record<string, unknown>;

/**
 * Rewrites the relative paths of a file's services and file-based secrets/configs from `dir` (where the
 * file's relative paths start) to the project directory, so that every relative path in the merged model
 * starts at the same place: used for `include`d projects and services `extends` takes from another file.
 */
export function rebasePaths(file: Dict, dir: string): Dict {
  if (!dir) return file;
  const rebase = (path: string) => (path.startsWith('/') || path.startsWith('~') ? path : `./${joinPath(dir, path)}`);
  const out: Dict = { ...file };
  if (file['services'] && typeof file['services'] === 'object') {
    out['services'] = Object.fromEntries(Object.entries(file['services'] as Dict).map(([name, service]) => [name, rebaseService(service, rebase)]));
  }
  for (const kind of ['secrets', 'configs']) {
    const objects = file[kind] as Dict | undefined;
    if (!objects || typeof objects !== 'object') continue;
    out[kind] = Object.fromEntries(
      Object.entries(objects).map(([k, v]) => [
        k,
        v && typeof v === 'object' && typeof (v as Dict)['file'] === 'string' ? { ...v, file: rebase((v as Dict)['file'] as string) } : v,
      ]),
    );
  }
  return out;
}

function rebaseService(service: unknown, rebase: (path: string) => string): unknown {
  if (!service || typeof service !== 'object') return service;
  const out: Dict = { ...(service as Dict) };
  const build = out['build'];
  if (typeof build === 'string' && !isRemoteContext(build)) out['build'] = rebase(build);
  else if (build && typeof build === 'object') {
    const context = (build as Dict)['context'];
    out['build'] = {
      ...build,
      context: typeof context === 'string' && isRemoteContext(context) ? context : rebase(typeof context === 'string' ? context : '.'),
    };
  }
  const envFile = out['env_file'];
  const rebaseEnvFile = (e: unknown) =>
    typeof e === 'string' ? rebase(e) : e && typeof e === 'object' ? { ...e, path: rebase(String((e as Dict)['path'])) } : e;
  if (envFile !== undefined && envFile !== null) out['env_file'] = Array.isArray(envFile) ? envFile.map(rebaseEnvFile) : rebaseEnvFile(envFile);
  if (Array.isArray(out['volumes'])) {
    out['volumes'] = out['volumes'].map((v: unknown) => {
      if (typeof v === 'string') {
        const [source, ...rest] = v.split(':');
        return rest.length && isHostPath(source!) ? [rebase(source!), ...rest].join(':') : v;
      }
      const mount = v as Dict;
      return mount && mount['type'] === 'bind' && typeof mount['source'] === 'string' ? { ...mount, source: rebase(mount['source']) } : v;
    });
  }
  return out;
}

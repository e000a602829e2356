import { cleanPath } from '../../../core/clean-path.ts';
import { BuildStepError } from '../build-errors.ts';
import type { DockerignoreMatcher } from './dockerignore.ts';

/** One file a COPY/ADD writes: its context path and its absolute destination (posix). */
export interface CopyEntry {
  readonly from: string;
  readonly to: string;
  /** For a file found below a source directory: that directory ('' for the context) and where it is copied to. */
  readonly under?: { readonly from: string; readonly to: string };
}

/**
 * What `COPY src… dest` copies from a context given as its file list (directories implied by the
 * files), with BuildKit's rules: Go `filepath.Match` wildcards per path segment; a directory
 * copies its contents, not itself; `.` is the whole context; a wildcard may match nothing; a
 * plain path must exist. The destination is a directory when it ends in `/` or several files
 * are copied, else the file's new name; a relative one is relative to `workdir`. `--exclude`
 * patterns match a file's path below the source it was found by.
 */
export function resolveCopy(sources: readonly string[], dest: string, workdir: string, files: readonly string[], exclude?: DockerignoreMatcher): CopyEntry[] {
  const absDest = cleanPath(dest.startsWith('/') ? dest : `${workdir || '/'}/${dest}`);
  let picked: { file: string; rel: string; dir?: string }[] = [];
  for (const source of sources) {
    const src = contextPath(source);
    const matches = hasWildcards(src) ? globMatches(src, files) : [src];
    for (const m of matches) {
      const isFile = m !== '' && files.includes(m);
      const below = files.filter((f) => m === '' || f.startsWith(`${m}/`));
      if (!isFile && below.length === 0) {
        if (hasWildcards(src)) continue;
        throw new BuildStepError(`failed to compute cache key: failed to calculate checksum of ref: "/${src}": not found`);
      }
      if (isFile) picked.push({ file: m, rel: m.slice(m.lastIndexOf('/') + 1) });
      else for (const f of below) picked.push({ file: f, rel: m === '' ? f : f.slice(m.length + 1), dir: m });
    }
  }
  if (exclude) picked = picked.filter((p) => !exclude.excludes(p.rel));
  const intoDir = dest.endsWith('/') || dest === '.' || picked.length > 1 || picked.some((p) => p.dir !== undefined);
  const out = picked.map(({ file, rel, dir }) => ({
    from: file,
    to: intoDir ? joinDest(absDest, rel) : absDest,
    ...(dir !== undefined ? { under: { from: dir, to: absDest } } : {}),
  }));
  return out.sort((a, b) => (a.to < b.to ? -1 : a.to > b.to ? 1 : 0));
}

/** A source as a context-relative path ('' for the whole context); climbing out is refused. */
function contextPath(source: string): string {
  const p = cleanPath(source.replace(/^\/+/, ''));
  if (p === '..' || p.startsWith('../')) throw new BuildStepError(`failed to compute cache key: forbidden path outside the build context: ${source}`);
  return p === '.' ? '' : p;
}

function joinDest(dir: string, rel: string): string {
  return dir === '/' ? `/${rel}` : `${dir}/${rel}`;
}

function hasWildcards(p: string): boolean {
  return /[*?[]/.test(p);
}

/** The files and directories whose every segment matches the pattern's segment at that depth. */
function globMatches(pattern: string, files: readonly string[]): string[] {
  const segments = pattern.split('/');
  const matchers = segments.map(segmentRegExp);
  const found = new Set<string>();
  for (const f of files) {
    const parts = f.split('/');
    if (parts.length < segments.length) continue;
    if (matchers.every((re, i) => re.test(parts[i]!))) found.add(parts.slice(0, segments.length).join('/'));
  }
  return [...found].sort();
}

/** Go's filepath.Match for one segment: `*`, `?`, `[a-z]`, `[^a]`, `\` escaping. */
function segmentRegExp(segment: string): RegExp {
  const chars = Array.from(segment);
  let re = '^';
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '\\') re += literal(chars[++i] ?? '\\');
    else if (c === '[') {
      const close = chars.indexOf(']', i + 2);
      if (close < 0) throw new BuildStepError(`syntax error in pattern: ${segment}`);
      let body = chars.slice(i + 1, close).join('');
      const negate = body.startsWith('^');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^' : ''}${body.replace(/\\(.)/g, '$1').replace(/[\\\]^[]/g, '\\$&')}]`;
      i = close;
    } else re += literal(c);
  }
  return new RegExp(`${re}$`, 'su');
}

function literal(c: string): string {
  return c.replace(/[\\^$.*+?()[\]{}|/]/, '\\$&');
}

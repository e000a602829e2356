import { cleanPath } from '../../../core/clean-path.ts';
import { InvalidParameterError } from '../../../core/errors.ts';

/** Which context paths `.dockerignore` leaves out, matched as moby/patternmatcher does. */
export interface DockerignoreMatcher {
  /** `path` is context-relative and slash-separated (`src/app.ts`). */
  excludes(path: string): boolean;
}

interface Pattern {
  readonly exclusion: boolean;
  readonly re: RegExp;
}

/**
 * moby/patternmatcher/ignorefile.ReadAll then patternmatcher.New: `#` comment lines, blank lines
 * skipped, patterns cleaned (`./a/` → `a`, leading `/` dropped), `!` re-includes; the last pattern
 * that matches a path, or one of its parent directories, decides.
 */
export function parseDockerignore(text: string): DockerignoreMatcher {
  const patterns: Pattern[] = [];
  for (const rawLine of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    if (rawLine.startsWith('#')) continue;
    let p = rawLine.trim();
    if (!p) continue;
    const exclusion = p.startsWith('!');
    if (exclusion) p = p.slice(1).trim();
    if (p) {
      p = cleanPath(p);
      if (p.length > 1 && p.startsWith('/')) p = p.slice(1);
    }
    if (exclusion && !p) throw new InvalidParameterError('illegal exclusion pattern: "!"');
    patterns.push({ exclusion, re: patternRegExp(cleanPath(p)) });
  }
  return {
    excludes(path: string): boolean {
      const file = cleanPath(path);
      const parents = file.split('/').slice(0, -1);
      let matched = false;
      for (const { exclusion, re } of patterns) {
        // An inclusion cannot change an already matched path, nor an exclusion an unmatched one.
        if (exclusion !== matched) continue;
        const match = re.test(file) || parents.some((_, i) => re.test(parents.slice(0, i + 1).join('/')));
        if (match) matched = !exclusion;
      }
      return matched;
    },
  };
}

/** patternmatcher's compile: `*` and `?` stay within a segment, `**` spans any, `\` escapes. */
function patternRegExp(pattern: string): RegExp {
  const chars = Array.from(pattern);
  let re = '^';
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '*' && chars[i + 1] === '*') {
      i++;
      if (chars[i + 1] === '/') i++;
      re += i + 1 >= chars.length ? '.*' : '(.*/)?';
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\') re += i + 1 < chars.length ? literal(chars[++i]!) : '\\\\';
    else if (c === '[' || c === ']') re += c;
    else re += literal(c);
  }
  try {
    return new RegExp(`${re}$`, 'su');
  } catch {
    throw new InvalidParameterError(`syntax error in pattern: ${pattern}`);
  }
}

function literal(c: string): string {
  return c.replace(/[\\^$.*+?()[\]{}|/]/, '\\$&');
}

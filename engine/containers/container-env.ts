import { DEFAULT_PATH } from '../../core/path-lookup.ts';

/** Image env, then the caller's: a later KEY replaces an earlier one, as Docker merges them. */
export function mergeEnv(base: readonly string[], extra: readonly string[]): string[] {
  const out = new Map<string, string>();
  for (const e of [...base, ...extra]) {
    const eq = e.indexOf('=');
    if (eq < 0) continue;
    out.set(e.slice(0, eq), e);
  }
  return [...out.values()];
}

/** What Docker adds to every container's environment. */
export function withDefaultEnv(env: readonly string[], hostname: string, tty: boolean): string[] {
  const extra = [`HOSTNAME=${hostname}`, ...(tty ? ['TERM=xterm'] : [])];
  const base = env.some((e) => e.startsWith('PATH=')) ? env : [`PATH=${DEFAULT_PATH}`, ...env];
  return mergeEnv(extra, base);
}

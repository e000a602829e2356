/**
 * Profiles (15-profiles.md): a service that lists profiles is in the project only while one of them is
 * active; naming a service on the command line activates its profiles. An enabled service may not need
 * a service its profiles leave out.
 */
import { ComposeFileError } from './compose-errors.ts';

type Dict = Record<string, unknown>;

/** The enabled services. `'*'` activates every profile, as `--profile '*'` does. */
export function applyProfiles(services: Dict, active: readonly string[], targeted: readonly string[] = []): Dict {
  const profilesOf = (name: string) => ((services[name] as Dict | undefined)?.['profiles'] as string[] | undefined) ?? [];
  const on = new Set(active);
  for (const name of targeted) for (const profile of profilesOf(name)) on.add(profile);
  const enabled = (name: string) => {
    const profiles = profilesOf(name);
    return profiles.length === 0 || on.has('*') || profiles.some((p) => on.has(p));
  };
  const out: Dict = {};
  for (const name of Object.keys(services)) if (enabled(name)) out[name] = services[name];
  for (const [name, service] of Object.entries(out)) {
    const deps = (service as Dict)['depends_on'];
    const entries: [string, unknown][] = Array.isArray(deps) ? deps.map((d) => [String(d), {}]) : Object.entries((deps as Dict | undefined) ?? {});
    for (const [dep, spec] of entries) {
      const required = (spec as Dict | null)?.['required'] !== false;
      if (dep in services && !(dep in out) && required) {
        throw new ComposeFileError(`service ${dep} is required by ${name} but is disabled. Can be enabled by profiles [${profilesOf(dep).join(' ')}]`);
      }
    }
  }
  return out;
}

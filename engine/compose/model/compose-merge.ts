/**
 * Merging Compose files (`-f a -f b`) and a service onto the one it `extends`, per 13-merge.md: mappings
 * merge key by key, sequences append (without repeating an item), shell commands are replaced, the
 * `KEY=VAL` lists merge by key, mounts, secrets and configs by target; `!reset` and `!override` act here.
 */
import { Override, RESET, withoutTags } from './compose-yaml.ts';

type Dict = Record<string, unknown>;

const isDict = (v: unknown): v is Dict => !!v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Override);

/** Service keys written as `KEY=VAL` lists or mappings; merged by key. */
const KEY_VALUE = ['environment', 'labels', 'annotations', 'sysctls', 'extra_hosts', 'storage_opt'];
/** Service keys that take one string or a list of them; merged as lists. */
const STRING_OR_LIST = ['dns', 'dns_search', 'env_file', 'tmpfs', 'label_file'];
/** Replaced by the later file, never appended (13-merge.md, "Shell commands"). */
const REPLACED = ['command', 'entrypoint'];
/** Sequences whose items are unique by target: a later item with the same target replaces the earlier one. */
const BY_TARGET = ['volumes', 'secrets', 'configs'];

/** Merges whole files, the later one over the earlier. The result carries no `!reset`/`!override` markers. */
export function mergeComposeFiles(base: Dict, override: Dict): Dict {
  const { services: baseServices, ...baseRest } = base;
  const { services: overrideServices, ...overrideRest } = override;
  const out = mergeValue(baseRest, overrideRest) as Dict;
  const services = mergeMaps(baseServices, overrideServices, mergeService);
  if (services !== undefined) out['services'] = services;
  return out;
}

/** One service over another (a later file's, or the service that `extends` the base). */
export function mergeService(base: unknown, override: unknown): unknown {
  if (override === RESET) return undefined;
  if (override instanceof Override) return canonicalService(withoutTags(override.value));
  if (!isDict(base)) return canonicalService(withoutTags(override));
  if (!isDict(override)) return base;
  const a = canonicalService(base) as Dict;
  const b = canonicalService(override) as Dict;
  const out: Dict = { ...a };
  for (const [key, value] of Object.entries(b)) {
    let merged: unknown;
    if (value === RESET) merged = undefined;
    else if (value instanceof Override || REPLACED.includes(key)) merged = withoutTags(value instanceof Override ? value.value : value);
    else if (BY_TARGET.includes(key) && Array.isArray(a[key]) && Array.isArray(value)) merged = mergeByTarget(a[key] as unknown[], value);
    else if (key === 'healthcheck' && isDict(a[key]) && isDict(value)) {
      const { test, ...rest } = value;
      merged = mergeValue(a[key], rest);
      if (test === RESET) delete (merged as Dict)['test'];
      else if (test !== undefined) (merged as Dict)['test'] = withoutTags(test);
    } else merged = mergeValue(a[key], value);
    if (merged === undefined) delete out[key];
    else out[key] = merged;
  }
  return out;
}

/**
 * The syntaxes that merge differently brought to one form first: `build: .` as `{context: .}`, `KEY=VAL`
 * lists as mappings, service lists (`depends_on`, `networks`) as mappings, single strings as lists.
 */
function canonicalService(service: unknown): unknown {
  if (!isDict(service)) return service;
  const out: Dict = { ...service };
  if (typeof out['build'] === 'string') out['build'] = { context: out['build'] };
  if (isDict(out['build']) && Array.isArray(out['build']['args'])) out['build'] = { ...out['build'], args: keyValueMap(out['build']['args']) };
  for (const key of KEY_VALUE) if (Array.isArray(out[key])) out[key] = keyValueMap(out[key] as unknown[]);
  for (const key of ['depends_on', 'networks']) if (Array.isArray(out[key])) out[key] = Object.fromEntries((out[key] as unknown[]).map((n) => [String(n), {}]));
  for (const key of STRING_OR_LIST) if (typeof out[key] === 'string') out[key] = [out[key]];
  return out;
}

/** `["A=1", "B"]` → `{A: "1", B: null}`: a key without a value is to be looked up in the environment. */
export function keyValueMap(list: readonly unknown[]): Dict {
  const out: Dict = {};
  for (const item of list) {
    const text = String(item);
    const eq = text.indexOf('=');
    if (eq < 0) out[text] = null;
    else out[text.slice(0, eq)] = text.slice(eq + 1);
  }
  return out;
}

function mergeByTarget(base: readonly unknown[], override: readonly unknown[]): unknown[] {
  const byTarget = new Map<string, unknown>();
  for (const item of [...base, ...(withoutTags(override as unknown[]) as unknown[])]) byTarget.set(targetOf(item), item);
  return [...byTarget.values()];
}

/** The mount point of a volume (`src:/target:ro`, `/target`, `{target}`), or the target of a secret or config (defaulting to its source). */
function targetOf(item: unknown): string {
  if (isDict(item)) return String(item['target'] ?? item['source'] ?? '');
  const parts = String(item).split(':');
  return parts.length === 1 ? parts[0]! : parts[1]!;
}

function mergeMaps(base: unknown, override: unknown, mergeEntry: (a: unknown, b: unknown) => unknown): Dict | undefined {
  if (override === RESET) return undefined;
  if (override === undefined) return isDict(base) ? (withoutTags(base) as Dict) : undefined;
  if (override instanceof Override) return withoutTags(override.value) as Dict;
  const out: Dict = isDict(base) ? { ...base } : {};
  for (const [key, value] of Object.entries(isDict(override) ? override : {})) {
    const merged = mergeEntry(out[key], value);
    if (merged === undefined) delete out[key];
    else out[key] = merged;
  }
  return out;
}

/** The general rule: mappings merge recursively, sequences append what they do not already hold, anything else is replaced. */
function mergeValue(base: unknown, override: unknown): unknown {
  if (override === RESET) return undefined;
  if (override instanceof Override) return withoutTags(override.value);
  if (override === undefined) return base;
  // `key:` with no value over a mapping adds nothing to it (as in `networks: {front: }`).
  if (override === null && isDict(base)) return base;
  if (isDict(base) && isDict(override)) return mergeMaps(base, override, mergeValue);
  if (Array.isArray(base) && Array.isArray(override)) {
    const out = [...base];
    const seen = new Set(base.map((item) => JSON.stringify(item)));
    for (const item of withoutTags(override) as unknown[]) {
      const key = JSON.stringify(item);
      if (!seen.has(key)) out.push(item);
      seen.add(key);
    }
    return out;
  }
  return withoutTags(override);
}

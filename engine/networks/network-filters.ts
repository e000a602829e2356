import { InvalidParameterError } from '../../core/errors.ts';
import type { NetworkRecord } from '../../core/store/network-types.ts';

/** `bridge`, `host` and `none`: the networks every Docker daemon has, which cannot be removed. */
const PREDEFINED = ['bridge', 'host', 'none'] as const;

export function isPredefined(n: NetworkRecord): boolean {
  return (PREDEFINED as readonly string[]).includes(n.Name);
}

const KEYS = ['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type'];

/** `docker network ls --filter`: values of one key are alternatives, keys must all match (as Docker). */
export function filterNetworks(all: readonly NetworkRecord[], filters: Readonly<Record<string, readonly string[]>>): NetworkRecord[] {
  for (const key of Object.keys(filters)) if (!KEYS.includes(key)) throw new InvalidParameterError(`invalid filter '${key}'`);
  return all.filter((n) =>
    Object.entries(filters).every(([key, values]) => (key === 'label' ? values.every((v) => matches(n, key, v)) : values.some((v) => matches(n, key, v)))),
  );
}

function matches(n: NetworkRecord, key: string, v: string): boolean {
  switch (key) {
    case 'name':
      return n.Name.includes(v);
    case 'id':
      return n.Id.startsWith(v);
    case 'driver':
      return n.Driver === v;
    case 'scope':
      return n.Scope === v;
    case 'label': {
      const eq = v.indexOf('=');
      return eq < 0 ? v in n.Labels : n.Labels[v.slice(0, eq)] === v.slice(eq + 1);
    }
    case 'type':
      if (v !== 'custom' && v !== 'builtin') throw new InvalidParameterError(`invalid filter: 'type'='${v}'`);
      return (v === 'builtin') === isPredefined(n);
    default: {
      const d = v.toLowerCase();
      if (!['true', 'false', '1', '0'].includes(d)) throw new InvalidParameterError(`invalid value for 'dangling': ${v}`);
      // Dangling: a custom network no container runs on; the predefined ones never are.
      const dangling = !isPredefined(n) && Object.keys(n.Containers).length === 0;
      return dangling === (d === 'true' || d === '1');
    }
  }
}

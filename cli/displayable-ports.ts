// docker ps's PORTS column (the CLI's DisplayablePorts): `0.0.0.0:8080-8081->8080-8081/tcp,
// 443/tcp, 0.0.0.0:9000->80/tcp`. As Docker's: ports sorted by private port, IP, public port and
// type; runs of consecutive ports published on the same number (or only exposed) become ranges;
// ports published on another number come last, one each.

import type { SummaryPort } from '../engine/index.ts';

const compare = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);

export function displayablePorts(ports: readonly SummaryPort[]): string {
  const sorted = [...ports].sort(
    (a, b) => a.PrivatePort - b.PrivatePort || compare(a.IP ?? '', b.IP ?? '') || (a.PublicPort ?? 0) - (b.PublicPort ?? 0) || compare(a.Type, b.Type),
  );
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const hostMappings: string[] = [];
  for (const p of sorted) {
    const current = p.PrivatePort;
    let key = p.Type;
    if (p.IP && p.PublicPort !== undefined) {
      if (p.PublicPort !== current) {
        hostMappings.push(`${p.IP}:${p.PublicPort}->${current}/${p.Type}`);
        continue;
      }
      key = `${p.IP}/${p.Type}`;
    }
    const group = groups.get(key);
    if (!group) groups.set(key, { first: current, last: current });
    else if (current === group.last + 1) group.last = current;
    else {
      result.push(formGroup(key, group));
      // Docker re-creates the group in place: it keeps its first position among the groups.
      groups.set(key, { first: current, last: current });
    }
  }
  for (const [key, group] of groups) result.push(formGroup(key, group));
  return [...result, ...hostMappings].join(', ');
}

function formGroup(key: string, { first, last }: { first: number; last: number }): string {
  const [a, b] = key.split('/') as [string, string | undefined];
  const range = first === last ? String(first) : `${first}-${last}`;
  return b === undefined ? `${range}/${a}` : `${a}:${range}->${range}/${b}`;
}

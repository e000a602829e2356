// docker ps's PORTS column (the CLI's DisplayablePorts): `0.0.0.0:8080->80/tcp, 443/tcp`.

import type { SummaryPort } from '../engine/index.ts';

/** Published ports as `IP:PUBLIC->PRIVATE/proto`, exposed-only ones as `PRIVATE/proto`, ordered as docker orders them. */
export function displayablePorts(ports: readonly SummaryPort[]): string {
  const sorted = [...ports].sort(
    (a, b) => (a.Type < b.Type ? -1 : a.Type > b.Type ? 1 : 0) || a.PrivatePort - b.PrivatePort || (a.PublicPort ?? 0) - (b.PublicPort ?? 0),
  );
  return sorted.map((p) => (p.PublicPort === undefined ? `${p.PrivatePort}/${p.Type}` : `${p.IP}:${p.PublicPort}->${p.PrivatePort}/${p.Type}`)).join(', ');
}

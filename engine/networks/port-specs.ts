// `-p`/`--publish` and `--expose` specs, parsed as Docker's (go-connections nat.ParsePortSpec).

import { InvalidParameterError } from '../../core/errors.ts';
import type { PortBinding } from '../../core/store/container-types.ts';
import { parseIp } from './ipv4.ts';

/** `80/tcp` and the host side asked for. */
export interface PortMapping {
  readonly port: string;
  readonly binding: PortBinding;
}

const PROTOCOLS = ['tcp', 'udp', 'sctp'];

function range(s: string, what: 'containerPort' | 'hostPort'): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  const lo = Number(m?.[1]);
  const hi = m?.[2] === undefined ? lo : Number(m[2]);
  if (!m || lo < 1 || hi > 65535 || hi < lo) throw new InvalidParameterError(`invalid ${what}: ${s}`);
  return [lo, hi];
}

function splitProto(s: string): [string, string] {
  const slash = s.lastIndexOf('/');
  if (slash < 0) return [s, 'tcp'];
  const proto = s.slice(slash + 1).toLowerCase();
  if (!PROTOCOLS.includes(proto)) throw new InvalidParameterError(`invalid proto: ${proto}`);
  return [s.slice(0, slash), proto];
}

/** `[ip:][hostPort:]containerPort[/proto]`, ranges as `8000-8001:80-81`. */
export function parsePublish(spec: string): PortMapping[] {
  const [rest, proto] = splitProto(spec.trim());
  let ip = '';
  let host = '';
  let container: string;
  // An IPv6 host address comes in brackets: `[::1]:8080:80`.
  const v6 = /^\[([^\]]*)\]:(.*)$/.exec(rest);
  const parts = v6 ? [v6[1]!, ...v6[2]!.split(':')] : rest.split(':');
  if (parts.length === 1) container = parts[0]!;
  else if (parts.length === 2) [host, container] = parts as [string, string];
  else if (parts.length === 3) [ip, host, container] = parts as [string, string, string];
  else throw new InvalidParameterError(`invalid port format: ${spec}`);
  if (ip !== '' && !v6 && parseIp(ip) === undefined) throw new InvalidParameterError(`invalid IP address: ${ip}`);
  const [cLo, cHi] = range(container, 'containerPort');
  const hostRange = host === '' ? undefined : range(host, 'hostPort');
  if (hostRange && hostRange[1] - hostRange[0] !== cHi - cLo) {
    throw new InvalidParameterError(`invalid ranges specified for container and host Ports: ${container} and ${host}`);
  }
  const out: PortMapping[] = [];
  for (let p = cLo; p <= cHi; p++) {
    out.push({ port: `${p}/${proto}`, binding: { HostIp: ip, HostPort: hostRange ? String(hostRange[0] + p - cLo) : '' } });
  }
  return out;
}

/** `--expose 80`, `--expose 7000-7002/udp`: the container ports, as `80/tcp`. */
export function parseExpose(spec: string): string[] {
  const [rest, proto] = splitProto(spec.trim());
  const [lo, hi] = range(rest, 'containerPort');
  return Array.from({ length: hi - lo + 1 }, (_, i) => `${lo + i}/${proto}`);
}

/** `80/tcp` → [80, 'tcp']. */
export function splitPort(key: string): [number, string] {
  const [n, proto = 'tcp'] = key.split('/');
  return [Number(n), proto];
}

/** Ports ordered as Docker sorts them: by number, then protocol. */
export function comparePorts(a: string, b: string): number {
  const [pa, qa] = splitPort(a);
  const [pb, qb] = splitPort(b);
  return pa - pb || (qa < qb ? -1 : qa > qb ? 1 : 0);
}

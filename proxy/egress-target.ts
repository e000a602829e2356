import { isIP } from 'node:net';

/** Where a tunnel goes, as the client named it in `/egress/<host>:<port>`. */
export interface EgressTarget {
  /** A lower-case DNS name, or an IP literal (IPv6 without brackets). */
  readonly host: string;
  readonly port: number;
  /** 4 or 6 for an IP literal, 0 for a name. */
  readonly family: 0 | 4 | 6;
}

const PREFIX = '/egress';
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Is this request path (query excluded) the egress endpoint's, valid target or not? */
export function isEgressPath(path: string): boolean {
  return path === PREFIX || path.startsWith(`${PREFIX}/`);
}

/** `/egress/example.org:443`, `/egress/[::1]:8080` → the target; undefined when the URL names none. */
export function parseEgressTarget(url: string): EgressTarget | undefined {
  if (!url.startsWith(`${PREFIX}/`) || url.includes('?')) return undefined;
  let text: string;
  try {
    // Clients may percent-encode the brackets of an IPv6 literal.
    text = decodeURIComponent(url.slice(PREFIX.length + 1)).toLowerCase();
  } catch {
    return undefined;
  }
  const m = /^(?:\[([0-9a-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  if (m[1] !== undefined) return isIP(m[1]) === 6 ? { host: m[1], port, family: 6 } : undefined;
  const host = m[2]!;
  if (isIP(host) === 4) return { host, port, family: 4 };
  return isDnsName(host) ? { host, port, family: 0 } : undefined;
}

/**
 * A lower-case host name of LDH labels. A numeric last label is refused, as URLs do: `127.1` and
 * the like are IPv4 shorthands to getaddrinfo, not names.
 */
export function isDnsName(host: string): boolean {
  const labels = host.split('.');
  return host.length <= 253 && labels.every((l) => LABEL.test(l)) && !/^\d+$/.test(labels.at(-1)!);
}

/** `example.org:443`, `[::1]:8080`: how targets and dialled addresses are written. */
export function formatHostPort(host: string, port: number): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

// The head of a request to the gateway's HTTP proxy: CONNECT host:port (a tunnel, as for HTTPS,
// so TLS stays end to end in the container), or an absolute-URI request (`GET http://host/path`),
// which goes on to its server in origin form with `Connection: close`.

export type ProxyRequest =
  | { readonly kind: 'connect'; readonly host: string; readonly port: number }
  | { readonly kind: 'forward'; readonly host: string; readonly port: number; readonly head: Uint8Array };

/** A request the proxy answers itself, with `status` and the message as its reason phrase. */
export class ProxyAnswer extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Longest request head taken; a longer one gets 431. */
export const MAX_HEAD_BYTES = 16 << 10;

const encoder = new TextEncoder();
/** Hop-by-hop headers the proxy consumes (RFC 9110 §7.6.1), plus the old Proxy-Connection. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'upgrade']);

export function parseProxyRequest(head: string): ProxyRequest {
  const [requestLine = '', ...headers] = head.replace(/\r\n\r\n$/, '').split('\r\n');
  const m = /^([A-Z]+) (\S+) (HTTP\/1\.[01])$/.exec(requestLine);
  if (!m) throw new ProxyAnswer(400, 'Bad Request');
  const [, method, target, version] = m as unknown as [string, string, string, string];
  if (method === 'CONNECT') {
    const { host, port } = authority(target, undefined);
    return { kind: 'connect', host, port };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(target)?.[1]?.toLowerCase();
  if (scheme === undefined) throw new ProxyAnswer(400, 'Bad Request: a proxy request names its server (GET http://host/path)');
  if (scheme !== 'http') throw new ProxyAnswer(501, `${scheme}:// is not forwarded: use CONNECT (https_proxy) so TLS stays end to end`);
  const rest = target.slice('http://'.length);
  const slash = rest.search(/[/?]/);
  const { host, port } = authority(slash < 0 ? rest : rest.slice(0, slash), 80);
  const path = slash < 0 ? '/' : rest[slash] === '?' ? `/${rest.slice(slash)}` : rest.slice(slash);
  const kept = headers.filter((h) => !HOP_BY_HOP.has(h.slice(0, h.indexOf(':')).trim().toLowerCase()));
  if (!kept.some((h) => /^host\s*:/i.test(h))) kept.unshift(`Host: ${slash < 0 ? rest : rest.slice(0, slash)}`);
  const origin = [`${method} ${path} ${version}`, ...kept, 'Connection: close', '', ''].join('\r\n');
  return { kind: 'forward', host, port, head: encoder.encode(origin) };
}

/** `host:port`, `[v6]:port`, or `host` when `defaultPort` is given. */
function authority(text: string, defaultPort: number | undefined): { host: string; port: number } {
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::(\d{1,5}))?$/i.exec(text.replace(/^[^@]*@/, ''));
  const port = m?.[2] === undefined ? defaultPort : Number(m[2]);
  if (!m || port === undefined || port < 1 || port > 65535) throw new ProxyAnswer(400, `Bad Request: "${text}" is not host:port`);
  return { host: m[1]!.toLowerCase(), port };
}

/** The whole answer to a request the proxy will not carry: status line, a short text, closed. */
export function proxyAnswer(status: number, message: string): Uint8Array {
  // The message is the reason phrase too: a client such as busybox wget prints only that line.
  const reason = message.replace(/[\r\n]+/g, ' ').slice(0, 200);
  const body = `${message}\n`;
  const length = encoder.encode(body).length;
  return encoder.encode(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n${body}`,
  );
}

// The HTTP proxy a network's gateway runs on port 3128 (containers get http_proxy and https_proxy
// pointing at it). A target on the network itself (a container's name, or an address in the
// subnet) is dialled directly by the engine's TCP/IP stack; anything else goes through the
// project's proxy, which alone decides what may be reached. An internal network, or an engine
// with no egress proxy, gets a refusal at once with a reason a client prints.
import { ByteReader } from '../../core/byte-reader.ts';
import type { Duplex } from '../../core/stream-port.ts';
import { MAX_HEAD_BYTES, ProxyAnswer, type ProxyRequest, parseProxyRequest, proxyAnswer } from './proxy-request.ts';
import { EgressFailedError, EgressRefusedError } from './websocket-tunnel.ts';

export interface ForwardProxyRoutes {
  /** The address of `host` on this network (a DNS record, or a literal in the subnet), if it is there. */
  local(host: string): string | undefined;
  dialLocal(address: string, port: number): Promise<Duplex>;
  /** Beyond the network; absent when the engine has no egress proxy, or the network is internal. */
  dialEgress: ((host: string, port: number) => Promise<Duplex>) | undefined;
  /** Why dialEgress is absent, as the client will read it. */
  readonly noEgress: string;
}

const decoder = new TextDecoder();

const HEAD_END = new TextEncoder().encode('\r\n\r\n');

/** Serves one connection accepted on the proxy port, until both directions end. */
export async function serveProxyConnection(client: Duplex, routes: ForwardProxyRoutes): Promise<void> {
  const reader = new ByteReader(client.readable.getReader());
  const writer = client.writable.getWriter();
  let request: ProxyRequest;
  let upstream: Duplex;
  try {
    const head = await reader.until(HEAD_END, MAX_HEAD_BYTES, () => new ProxyAnswer(431, 'Request Header Fields Too Large'));
    if (!head) return void (await writer.close());
    request = parseProxyRequest(decoder.decode(head));
    upstream = await dial(request, routes);
  } catch (e) {
    const answer = e instanceof ProxyAnswer ? e : new ProxyAnswer(500, `proxy error: ${e instanceof Error ? e.message : String(e)}`);
    await writer.write(proxyAnswer(answer.status, answer.message)).catch(() => undefined);
    await writer.close().catch(() => undefined);
    // Read on to the client's own close: cancelling would reset the connection, and a reset can
    // discard the answer before the client has read it.
    while ((await reader.some(Infinity).catch(() => new Uint8Array(0))).length);
    return;
  }
  const up = upstream.writable.getWriter();
  const sendUp = (async () => {
    if (request.kind === 'forward') await up.write(request.head);
    // What came after the head (a body, or a TLS hello), then the rest as it arrives.
    for (let p = await reader.some(Infinity); p.length; p = await reader.some(Infinity)) await up.write(p);
    await up.close();
  })();
  const sendDown = (async () => {
    if (request.kind === 'connect') await writer.write(new TextEncoder().encode('HTTP/1.1 200 Connection established\r\n\r\n'));
    const down = upstream.readable.getReader();
    for (let r = await down.read(); !r.done; r = await down.read()) await writer.write(r.value);
    await writer.close();
  })();
  // Either side failing resets the other: a half-broken tunnel is not left open.
  await Promise.all([sendUp, sendDown]).catch(async () => {
    await Promise.allSettled([up.abort(), writer.abort(), reader.cancel()]);
  });
}

/** Names and addresses that mean the container itself, wherever its client sends them. */
const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

async function dial(request: ProxyRequest, routes: ForwardProxyRoutes): Promise<Duplex> {
  const { host, port } = request;
  if (LOOPBACK.test(host)) {
    throw new ProxyAnswer(502, `${host} is the container's own loopback, which its proxy cannot reach (busybox wget ignores no_proxy: use wget -Y off)`);
  }
  const address = routes.local(host);
  try {
    if (address !== undefined) return await routes.dialLocal(address, port);
    if (!routes.dialEgress) throw new ProxyAnswer(502, routes.noEgress);
    return await routes.dialEgress(host, port);
  } catch (e) {
    if (e instanceof ProxyAnswer) throw e;
    if (e instanceof EgressRefusedError) throw new ProxyAnswer(403, e.message);
    if (e instanceof EgressFailedError) throw new ProxyAnswer(502, e.message);
    throw new ProxyAnswer(502, `connect to ${host}:${port}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

// The gateway's HTTP proxy (net/egress/): request heads, and what it does with each connection,
// over in-memory duplexes standing in for the container's TCP connection and the upstream.
import { describe, expect, it } from 'vitest';
import type { Duplex } from '../../../core/stream-port.ts';
import { type ForwardProxyRoutes, serveProxyConnection } from '../../../net/egress/forward-proxy.ts';
import { ProxyAnswer, parseProxyRequest } from '../../../net/egress/proxy-request.ts';
import { EgressFailedError, EgressRefusedError } from '../../../net/egress/websocket-tunnel.ts';

const text = new TextDecoder();
const bytes = (s: string) => new TextEncoder().encode(s);

/** Two connected duplexes: what one writes, the other reads. */
function pipePair(): [Duplex, Duplex] {
  const ab = new TransformStream<Uint8Array, Uint8Array>();
  const ba = new TransformStream<Uint8Array, Uint8Array>();
  return [
    { readable: ba.readable, writable: ab.writable },
    { readable: ab.readable, writable: ba.writable },
  ];
}

async function readAll(r: ReadableStream<Uint8Array>): Promise<string> {
  let out = '';
  for await (const chunk of r as unknown as AsyncIterable<Uint8Array>) out += text.decode(chunk, { stream: true });
  return out;
}

/** A client's request through the proxy; `upstream` answers a dialled connection. */
async function through(request: string, routes: Partial<ForwardProxyRoutes>, upstream?: (d: Duplex) => Promise<void>) {
  const [client, proxySide] = pipePair();
  const dialled: string[] = [];
  const dial = async (what: string) => {
    dialled.push(what);
    const [ours, theirs] = pipePair();
    void upstream?.(theirs);
    return ours;
  };
  const served = serveProxyConnection(proxySide, {
    local: () => undefined,
    dialLocal: (a, p) => dial(`local ${a}:${p}`),
    dialEgress: (h, p) => dial(`egress ${h}:${p}`),
    noEgress: 'no egress here',
    ...routes,
  });
  const w = client.writable.getWriter();
  await w.write(bytes(request));
  const answer = readAll(client.readable);
  await w.close();
  await served;
  return { answer: await answer, dialled };
}

/** An upstream that reads one request head and answers with its first line echoed. */
const echoFirstLine = async (d: Duplex) => {
  const r = d.readable.getReader();
  let got = '';
  while (!got.includes('\r\n\r\n')) got += text.decode((await r.read()).value);
  const w = d.writable.getWriter();
  await w.write(bytes(`HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n[${got.replace(/\r\n/g, '|')}]`));
  await w.close();
};

describe('proxy request heads', () => {
  it('turns an absolute-URI request into origin form for its server', () => {
    const r = parseProxyRequest(
      'GET http://example.org:8080/a/b?c=1 HTTP/1.1\r\nHost: example.org:8080\r\nProxy-Connection: keep-alive\r\nUser-Agent: t\r\n\r\n',
    );
    expect(r).toMatchObject({ kind: 'forward', host: 'example.org', port: 8080 });
    expect(r.kind === 'forward' && text.decode(r.head)).toBe('GET /a/b?c=1 HTTP/1.1\r\nHost: example.org:8080\r\nUser-Agent: t\r\nConnection: close\r\n\r\n');
  });

  it('adds a Host header when the request has none, and port 80 by default', () => {
    const r = parseProxyRequest('GET http://web?x HTTP/1.0\r\n\r\n');
    expect(r).toMatchObject({ kind: 'forward', host: 'web', port: 80 });
    expect(r.kind === 'forward' && text.decode(r.head)).toBe('GET /?x HTTP/1.0\r\nHost: web\r\nConnection: close\r\n\r\n');
  });

  it('reads CONNECT targets, IPv6 included', () => {
    expect(parseProxyRequest('CONNECT example.org:443 HTTP/1.1\r\n\r\n')).toEqual({ kind: 'connect', host: 'example.org', port: 443 });
    expect(parseProxyRequest('CONNECT [::1]:8443 HTTP/1.1\r\n\r\n')).toEqual({ kind: 'connect', host: '[::1]', port: 8443 });
  });

  it.each([
    ['GET / HTTP/1.1\r\n\r\n', 400],
    ['CONNECT example.org HTTP/1.1\r\n\r\n', 400],
    ['CONNECT example.org:70000 HTTP/1.1\r\n\r\n', 400],
    ['GET https://example.org/ HTTP/1.1\r\n\r\n', 501],
    ['GET ftp://example.org/ HTTP/1.1\r\n\r\n', 501],
    ['nonsense\r\n\r\n', 400],
  ])('answers %j itself with %d', (head, status) => {
    expect(() => parseProxyRequest(head)).toThrow(ProxyAnswer);
    try {
      parseProxyRequest(head);
    } catch (e) {
      expect((e as ProxyAnswer).status).toBe(status);
    }
  });
});

describe('the gateway proxy', () => {
  it('dials a name on the network directly and forwards the request in origin form', async () => {
    const { answer, dialled } = await through(
      'GET http://web/x HTTP/1.1\r\nHost: web\r\n\r\n',
      { local: (h) => (h === 'web' ? '172.18.0.2' : undefined) },
      echoFirstLine,
    );
    expect(dialled).toEqual(['local 172.18.0.2:80']);
    expect(answer).toBe('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n[GET /x HTTP/1.1|Host: web|Connection: close||]');
  });

  it('tunnels CONNECT beyond the network through egress, bytes both ways after its 200', async () => {
    const { answer, dialled } = await through('CONNECT example.org:443 HTTP/1.1\r\n\r\nCLIENT-HELLO', {}, async (d) => {
      const got = await readAll(d.readable);
      const w = d.writable.getWriter();
      await w.write(bytes(`server saw ${got}`));
      await w.close();
    });
    expect(dialled).toEqual(['egress example.org:443']);
    expect(answer).toBe('HTTP/1.1 200 Connection established\r\n\r\nserver saw CLIENT-HELLO');
  });

  it('refuses with the reason a client prints when there is no egress', async () => {
    const { answer, dialled } = await through('GET http://example.org/ HTTP/1.1\r\n\r\n', {
      dialEgress: undefined,
      noEgress: 'network is internal: no egress',
    });
    expect(dialled).toEqual([]);
    expect(answer).toMatch(/^HTTP\/1\.1 502 network is internal: no egress\r\n/);
  });

  it("carries the egress proxy's refusal as 403 and its failure as 502", async () => {
    const refused = await through('CONNECT a.example:443 HTTP/1.1\r\n\r\n', {
      dialEgress: () => Promise.reject(new EgressRefusedError('egress to a.example:443 refused: not in PROXY_EGRESS_ALLOW')),
    });
    expect(refused.answer).toMatch(/^HTTP\/1\.1 403 egress to a\.example:443 refused: not in PROXY_EGRESS_ALLOW\r\n[\s\S]*\r\n\r\negress to a/);
    const failed = await through('CONNECT a.example:443 HTTP/1.1\r\n\r\n', {
      dialEgress: () => Promise.reject(new EgressFailedError('connect ECONNREFUSED 1.2.3.4:443')),
    });
    expect(failed.answer).toMatch(/^HTTP\/1\.1 502 connect ECONNREFUSED 1\.2\.3\.4:443\r\n/);
  });

  it("refuses the container's own loopback, which only a client that skipped the proxy reaches", async () => {
    for (const target of ['http://127.0.0.1:8000/', 'http://localhost/']) {
      const { answer, dialled } = await through(`GET ${target} HTTP/1.1\r\n\r\n`, {});
      expect(dialled).toEqual([]);
      expect(answer).toMatch(
        /^HTTP\/1\.1 502 \S+ is the container's own loopback, which its proxy cannot reach \(busybox wget ignores no_proxy: use wget -Y off\)\r\n/,
      );
    }
  });

  it('answers 431 to a head that never ends', async () => {
    const { answer } = await through(`GET http://web/ HTTP/1.1\r\nX: ${'a'.repeat(20_000)}`, {});
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
  });
});

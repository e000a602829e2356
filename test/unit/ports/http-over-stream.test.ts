import { describe, expect, it } from 'vitest';
import { type Duplex, streamPort } from '../../../core/stream-port.ts';
import { fetchOverStream } from '../../../engine/ports/http-over-stream.ts';
import { MalformedResponseError } from '../../../engine/ports/stream-errors.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A server end: what the client sent (up to the end of its head and `bodyBytes` more) and a writer. */
function server(): { client: Duplex; request(bodyBytes?: number): Promise<string>; send(s: string | Uint8Array): Promise<void>; end(): Promise<void> } {
  const { port1, port2 } = new MessageChannel();
  const s = streamPort(port2);
  const reader = s.readable.getReader();
  const writer = s.writable.getWriter();
  let got = '';
  return {
    client: streamPort(port1),
    async request(bodyBytes = 0) {
      while (!got.includes('\r\n\r\n') || got.length < got.indexOf('\r\n\r\n') + 4 + bodyBytes) {
        const { value, done } = await reader.read();
        if (done) break;
        got += dec.decode(value);
      }
      return got;
    },
    send: (x) => writer.write(typeof x === 'string' ? enc.encode(x) : x),
    end: () => writer.close(),
  };
}

describe('fetchOverStream', () => {
  it('sends the request line, Host, the body with its length and Connection: close; reads a Content-Length body', async () => {
    const s = server();
    const responding = fetchOverStream(
      s.client,
      new Request('http://app.local:8080/echo?x=1', { method: 'POST', body: 'ping', headers: { 'X-Test': 'yes', Connection: 'keep-alive' } }),
    );
    const req = await s.request(4);
    expect(req).toMatch(/^POST \/echo\?x=1 HTTP\/1\.1\r\nHost: app\.local:8080\r\n/);
    expect(req).toContain('x-test: yes\r\n');
    expect(req).toContain('Content-Length: 4\r\nConnection: close\r\n\r\nping');
    expect(req).not.toContain('keep-alive');
    await s.send('HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello');
    const res = await responding;
    expect(res.status).toBe(201);
    expect(res.statusText).toBe('Created');
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(await res.text()).toBe('hello');
  });

  it('streams a chunked body: the first chunk reaches the caller before the server finishes', async () => {
    const s = server();
    const responding = fetchOverStream(s.client, new Request('http://x/slow'));
    await s.request();
    await s.send('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nfirst\r\n');
    const res = await responding;
    const r = res.body!.getReader();
    expect(dec.decode((await r.read()).value)).toBe('first');
    await s.send('7\r\n second\r\n0\r\nX-Trailer: t\r\n\r\n');
    expect(dec.decode((await r.read()).value)).toBe(' second');
    expect((await r.read()).done).toBe(true);
  });

  it('reads a body delimited by the end of the connection, skipping a 100 Continue', async () => {
    const s = server();
    const responding = fetchOverStream(s.client, new Request('http://x/'));
    await s.request();
    await s.send('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\n\r\nall ');
    await s.send(new Uint8Array([0, 255, 10]));
    await s.end();
    const res = await responding;
    expect([...new Uint8Array(await res.arrayBuffer())]).toEqual([...enc.encode('all '), 0, 255, 10]);
  });

  it('has no body for HEAD and 204', async () => {
    const s = server();
    const responding = fetchOverStream(s.client, new Request('http://x/', { method: 'HEAD' }));
    await s.request();
    await s.send('HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n');
    const res = await responding;
    expect(res.headers.get('content-length')).toBe('99');
    expect(res.body).toBeNull();
  });

  it('rejects malformed responses with MalformedResponseError', async () => {
    const cases: [string, RegExp][] = [
      ['SSH-2.0-OpenSSH\r\n\r\n', /malformed status line/],
      ['HTTP/1.1 200 OK\r\nBad Header\r\n\r\n', /malformed header line/],
      ['HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n', /malformed Content-Length/],
      ['HTTP/1.1 200 OK\r\n', /closed before a response arrived/],
    ];
    for (const [answer, message] of cases) {
      const s = server();
      const responding = fetchOverStream(s.client, new Request('http://x/'));
      await s.request();
      await s.send(answer);
      await s.end();
      const err = await responding.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MalformedResponseError);
      expect((err as Error).message).toMatch(message);
    }
  });

  it('errors the body when the server ends it early or breaks the chunk framing', async () => {
    for (const [answer, message] of [
      ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort', /ended 5 bytes before its Content-Length of 10/],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /malformed chunk size line/],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX', /chunk does not end with CRLF/],
    ] as const) {
      const s = server();
      const responding = fetchOverStream(s.client, new Request('http://x/'));
      await s.request();
      await s.send(answer);
      await s.end();
      const res = await responding;
      const err = await res.arrayBuffer().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MalformedResponseError);
      expect((err as Error).message).toMatch(message);
    }
  });
});

// An HTTP/1.1 client over a byte stream to a container (a connection to its listening socket):
// one request per connection (`Connection: close`), the response's body streamed as it arrives,
// framed by Content-Length, chunked transfer coding, or the end of the stream (RFC 9112).

import { ByteReader } from '../../core/byte-reader.ts';
import type { Duplex } from '../../core/stream-port.ts';
import { MalformedResponseError } from './stream-errors.ts';

/** The most a response's status line and headers may take. */
const MAX_HEAD = 64 << 10;
/** Headers the client frames itself; the caller's are dropped. */
const OWN_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive', 'upgrade']);
const NULL_BODY = new Set([204, 205, 304]);

const encoder = new TextEncoder();
const latin1 = new TextDecoder('latin1');

const CRLF = encoder.encode('\r\n');
const HEAD_END = encoder.encode('\r\n\r\n');

/** Bytes up to and including `delimiter`, as ByteReader.until, a malformed response past `limit`. */
function until(r: ByteReader, delimiter: Uint8Array, limit: number, what: string): Promise<Uint8Array | undefined> {
  return r.until(delimiter, limit, () => new MalformedResponseError(`${what} is longer than ${limit} bytes`));
}

/** How long a finished response's connection may stay open for the server to close it. */
const DRAIN_MS = 10_000;

/** Reads to the end of the stream (a server closing after its response), for at most DRAIN_MS. */
async function drain(r: ByteReader): Promise<void> {
  const timer = setTimeout(() => void r.cancel().catch(() => undefined), DRAIN_MS);
  try {
    while ((await r.some(Infinity)).length);
  } catch {
    // A reset after a whole response changes nothing for the caller.
  } finally {
    clearTimeout(timer);
  }
}

interface Head {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
}

function parseHead(raw: Uint8Array): Head {
  const lines = latin1.decode(raw).slice(0, -4).split('\r\n');
  const m = /^HTTP\/1\.[01] ([1-9]\d\d)(?: ([^\r\n]*))?$/.exec(lines[0]!);
  if (!m) throw new MalformedResponseError(`malformed status line: ${JSON.stringify(lines[0]!.slice(0, 80))}`);
  const headers = new Headers();
  for (const line of lines.slice(1)) {
    const h = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/.exec(line);
    if (!h) throw new MalformedResponseError(`malformed header line: ${JSON.stringify(line.slice(0, 80))}`);
    try {
      headers.append(h[1]!, h[2]!);
    } catch {
      throw new MalformedResponseError(`malformed header value for ${h[1]}`);
    }
  }
  return { status: Number(m[1]), statusText: m[2] ?? '', headers };
}

function requestHead(request: Request, bodyLength: number | undefined): Uint8Array {
  const url = new URL(request.url);
  const lines = [`${request.method} ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`];
  request.headers.forEach((value, name) => {
    if (!OWN_HEADERS.has(name)) lines.push(`${name}: ${value}`);
  });
  if (bodyLength !== undefined) lines.push(`Content-Length: ${bodyLength}`);
  lines.push('Connection: close', '', '');
  return encoder.encode(lines.join('\r\n'));
}

type BodyFraming = { readonly kind: 'none' } | { readonly kind: 'length'; readonly length: number } | { readonly kind: 'chunked' } | { readonly kind: 'close' };

function framing(request: Request, head: Head): BodyFraming {
  if (request.method === 'HEAD' || NULL_BODY.has(head.status)) return { kind: 'none' };
  const te = head.headers.get('transfer-encoding');
  if (te !== null) {
    const codings = te
      .toLowerCase()
      .split(',')
      .map((s) => s.trim());
    if (codings.at(-1) !== 'chunked') return { kind: 'close' };
    if (codings.length > 1) throw new MalformedResponseError(`unsupported transfer coding: ${te}`);
    return { kind: 'chunked' };
  }
  const cl = head.headers.get('content-length');
  if (cl === null) return { kind: 'close' };
  const values = new Set(cl.split(',').map((s) => s.trim()));
  const [only] = values;
  if (values.size !== 1 || !/^\d{1,15}$/.test(only!)) throw new MalformedResponseError(`malformed Content-Length: ${cl}`);
  return { kind: 'length', length: Number(only) };
}

/** The body's bytes, in pieces as they arrive; errors when the server breaks the framing. */
async function* bodyPieces(r: ByteReader, f: BodyFraming): AsyncGenerator<Uint8Array> {
  if (f.kind === 'none') return;
  if (f.kind === 'close') {
    for (let p = await r.some(Infinity); p.length; p = await r.some(Infinity)) yield p;
    return;
  }
  if (f.kind === 'length') {
    for (let left = f.length; left > 0; ) {
      const p = await r.some(left);
      if (!p.length) throw new MalformedResponseError(`the response ended ${left} bytes before its Content-Length of ${f.length}`);
      left -= p.length;
      yield p;
    }
    return;
  }
  for (;;) {
    const line = await until(r, CRLF, 4096, 'a chunk size line');
    if (!line) throw new MalformedResponseError('the response ended inside its chunked body');
    const m = /^([0-9A-Fa-f]{1,12})[ \t]*(?:;[^\r\n]*)?\r\n$/.exec(latin1.decode(line));
    if (!m) throw new MalformedResponseError(`malformed chunk size line: ${JSON.stringify(latin1.decode(line).slice(0, 40))}`);
    const size = Number.parseInt(m[1]!, 16);
    if (size === 0) {
      // Trailer fields (dropped), up to the empty line.
      for (;;) {
        const t = await until(r, CRLF, MAX_HEAD, 'the trailer section');
        if (!t) throw new MalformedResponseError('the response ended inside its trailer section');
        if (t.length === 2) return;
      }
    }
    for (let left = size; left > 0; ) {
      const p = await r.some(left);
      if (!p.length) throw new MalformedResponseError('the response ended inside a chunk');
      left -= p.length;
      yield p;
    }
    const crlf = await until(r, CRLF, 2, 'a chunk ending');
    if (!crlf || crlf.length !== 2) throw new MalformedResponseError('a chunk does not end with CRLF');
  }
}

/**
 * Sends `request` over `duplex` and resolves with the response once its head has arrived; the
 * body streams on. A response that is not HTTP/1.x rejects (or errors the body) with
 * MalformedResponseError.
 */
export async function fetchOverStream(duplex: Duplex, request: Request): Promise<Response> {
  const body = request.body ? new Uint8Array(await request.arrayBuffer()) : undefined;
  const writer = duplex.writable.getWriter();
  await writer.write(requestHead(request, body?.length));
  if (body?.length) await writer.write(body);
  // No half-close here: a server may take the end of our side for the end of the connection.
  writer.releaseLock();
  const reader = new ByteReader(duplex.readable.getReader());
  /** Gives up on the response: a reset, as a client closing with data unread sends. */
  const hangUp = () => {
    void reader.cancel().catch(() => undefined);
    void duplex.writable.abort('the client hung up').catch(() => undefined);
  };
  /** The response is whole: the end of our side, then whatever the server still sends is dropped until it closes. */
  const finish = () => {
    void duplex.writable.close().catch(() => undefined);
    void drain(reader);
  };
  let head: Head;
  let f: BodyFraming;
  try {
    for (;;) {
      const raw = await until(reader, HEAD_END, MAX_HEAD, 'the response head');
      if (!raw) throw new MalformedResponseError('the connection closed before a response arrived');
      head = parseHead(raw);
      if (head.status === 101) throw new MalformedResponseError('101 Switching Protocols, but no upgrade was asked for');
      if (head.status >= 200) break; // 1xx interim responses are skipped
    }
    f = framing(request, head);
  } catch (e) {
    hangUp();
    throw e;
  }
  const pieces = bodyPieces(reader, f);
  const stream =
    f.kind === 'none'
      ? null
      : new ReadableStream<Uint8Array>(
          {
            async pull(c) {
              try {
                const { value, done } = await pieces.next();
                if (done) {
                  c.close();
                  finish();
                } else c.enqueue(value);
              } catch (e) {
                c.error(e);
                hangUp();
              }
            },
            cancel: hangUp,
          },
          { highWaterMark: 0 },
        );
  if (!stream) finish();
  return new Response(stream, { status: head.status, statusText: head.statusText, headers: head.headers });
}

// A WASI program as a server, in real Chromium with real node and process Workers: it accepts on
// its preopened listening socket (fd 4), and the engine's side (NodeManager.connect, a stream
// port, HTTP over it) gets its pages, bytes exact, streamed as they are written. Refused ports,
// the program's exit and a kill end connections with typed errors, never a hang.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { HttpInput, HttpOutcome } from '../support/node-harness-types.ts';
import { openWasiSession, type WasiSession } from './wasi-session.ts';

const SERVER = `${inject('registry')}/fixtures/wasi-server:latest`;
const PORT = 8080;
const text = (r: HttpOutcome) => new TextDecoder().decode(new Uint8Array(r.body));

/** The BMP src/http-server.c draws: a 54-byte header, then pixel bytes i*7 + i/256. */
function expectedImage(): number[] {
  const pixels = 64 * 64 * 3;
  const b = new Uint8Array(54 + pixels);
  const v = new DataView(b.buffer);
  b[0] = 0x42;
  b[1] = 0x4d;
  v.setUint32(2, b.length, true);
  v.setUint32(10, 54, true);
  v.setUint32(14, 40, true);
  v.setUint32(18, 64, true);
  v.setUint32(22, 64, true);
  b[26] = 1;
  b[28] = 24;
  v.setUint32(34, pixels, true);
  for (let i = 0; i < pixels; i++) b[54 + i] = (i * 7 + Math.floor(i / 256)) & 255;
  return [...b];
}

let s: WasiSession;
beforeAll(async () => {
  s = await openWasiSession('wasi-server', { jspi: true, fallback: false });
  await s.page.evaluate((ref) => E.images.pull(ref), SERVER);
});
afterAll(() => s?.close());

/** Starts the server on the JSPI node; resolves once it listens. */
async function startServer(): Promise<string> {
  return s.page.evaluate(
    async ([image, port]) => {
      const id = await N.start('jspi', image!, { argv: ['/bin/http-server.wasm'], listenPorts: [port as number] });
      await N.waitFor(id, 'listening on fd 4\n');
      return id;
    },
    [SERVER, PORT] as const,
  );
}

const http = (id: string, req: Omit<HttpInput, 'port'> & { port?: number }) =>
  s.page.evaluate(([id, req]) => N.http('jspi', id!, req as HttpInput), [id, { port: PORT, ...req }] as const);

describe('a WASI server on a preopened listening socket', () => {
  let id: string;
  beforeAll(async () => {
    id = await startServer();
  });
  afterAll(() => s.page.evaluate((id) => N.kill(id, 9), id));

  it('serves its HTML page, then its image byte-exact, to one connection after another', async () => {
    const page = await http(id, { path: '/' });
    expect(page).toMatchObject({ status: 200, headers: { 'content-type': 'text/html; charset=utf-8' } });
    expect(page.error).toBeUndefined();
    expect(text(page)).toContain('<h1>Hello from WASI</h1><img src="/image.bmp"');
    const image = await http(id, { path: '/image.bmp' });
    expect(image).toMatchObject({ status: 200, headers: { 'content-type': 'image/bmp', 'content-length': '12342' } });
    expect(image.body).toEqual(expectedImage());
    expect((await http(id, { path: '/nope' })).status).toBe(404);
    const stdout = await s.page.evaluate((id) => N.waitFor(id, 'served GET /nope\n'), id);
    expect(stdout).toContain('served GET /\nserved GET /image.bmp\n');
  });

  it('streams a chunked response: each piece arrives as the server writes it', async () => {
    const r = await http(id, { path: '/stream' });
    expect(r.error).toBeUndefined();
    expect(text(r)).toBe('chunk 1\nchunk 2\nchunk 3\nchunk 4\nchunk 5\n');
    // Written 150 ms apart: the first reached the caller long before the last was written.
    expect(r.pieces.length).toBeGreaterThanOrEqual(3); // 5, unless a stalled page took two at once
    expect(r.pieces.at(-1)!.ms - r.pieces[0]!.ms).toBeGreaterThan(400);
  });

  it('echoes a POST body larger than the flow-control window, both ways', async () => {
    const body = Array.from({ length: 300_000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
    const r = await http(id, { path: '/echo', method: 'POST', body });
    expect(r).toMatchObject({ status: 200, headers: { 'content-length': '300000' } });
    expect(text(r) === body).toBe(true);
  });

  it('refuses a port nobody listens on with ConnectionRefusedError', async () => {
    const r = await http(id, { path: '/', port: 9090 });
    expect(r.error).toEqual({ name: 'ConnectionRefusedError', message: 'dial tcp 127.0.0.1:9090: connect: connection refused' });
  });
});

describe.each([
  ['--poll', 'waits in poll()'],
  ['--spin', 'polls with a timeout of 0 and never waits'],
])('a WASI server run with %s (%s)', (mode) => {
  it('serves a connection while another waits idle: non-blocking accept, poll, shutdown', async () => {
    const id = await s.page.evaluate(
      async ([image, mode]) => {
        const id = await N.start('jspi', image!, { argv: ['/bin/http-server.wasm', mode!], listenPorts: [8080] });
        await N.waitFor(id, `listening on fd 4 (${mode!.slice(2)})\n`);
        return id;
      },
      [SERVER, mode] as const,
    );
    const [late, page, echo] = await s.page.evaluate(async (id) => {
      const idle = await N.hold('jspi', id, 8080);
      // A server taking one connection at a time would wait on the idle one and answer neither.
      const page = await N.http('jspi', id, { port: 8080, path: '/' });
      const echo = await N.http('jspi', id, { port: 8080, path: '/echo', method: 'POST', body: 'while one waits' });
      return [await N.sendOn(idle, { port: 8080, path: '/image.bmp' }), page, echo];
    }, id);
    expect(page).toMatchObject({ status: 200 });
    expect(text(page)).toContain('Hello from WASI');
    expect(text(echo)).toBe('while one waits');
    expect(late.body).toEqual(expectedImage());
    const stdout = await s.page.evaluate((id) => N.waitFor(id, 'served GET /image.bmp\n'), id);
    expect(stdout).toContain('served GET /\nserved POST /echo\nserved GET /image.bmp\n');
    await s.page.evaluate((id) => N.kill(id, 9), id);
  });
});

describe('the end of a server', () => {
  it('closes its open connections when the program exits: the client sees the body cut short, a waiting one a reset', async () => {
    const id = await startServer();
    const [cut, waiting] = await s.page.evaluate(
      (id) =>
        N.httpMany('jspi', id, [
          { port: 8080, path: '/exit' },
          { port: 8080, path: '/' },
        ]),
      id,
    );
    expect(cut!.status).toBe(200);
    expect(text(cut!)).toBe('0123456789');
    expect(cut!.error).toEqual({ name: 'MalformedResponseError', message: 'the response ended 90 bytes before its Content-Length of 100' });
    expect(waiting!.error).toEqual({ name: 'ConnectionResetError', message: 'connection reset by peer: connection refused' });
    const exit = await s.page.evaluate((id) => N.result(id), id);
    expect(exit.code).toBe(3);
    // Connections after the exit are refused by the engine's side.
    expect((await http(id, { path: '/' })).error?.name).toBe('ConnectionRefusedError');
  });

  it('resets the connections of a killed process', async () => {
    const id = await startServer();
    const r = await s.page.evaluate(async (id) => {
      const pending = N.http('jspi', id, { port: 8080, path: '/stream' });
      await new Promise((r) => setTimeout(r, 250));
      await N.kill(id, 9);
      return pending;
    }, id);
    expect(r.status).toBe(200);
    expect(r.pieces.length).toBeGreaterThan(0);
    expect(r.pieces.length).toBeLessThan(5);
    expect(r.error).toEqual({ name: 'ConnectionResetError', message: 'connection reset by peer: the process was killed' });
  });

  it('does not start without JSPI, saying why (a server there could never take a connection)', async () => {
    const r = await s.page.evaluate((image) => N.run('fallback', image, { argv: ['/bin/http-server.wasm'], listenPorts: [8080] }), SERVER);
    expect(r).toMatchObject({ code: 126, started: false, error: 'listening sockets need JSPI (WebAssembly.Suspending), which this browser lacks' });
  });
});

// The egress endpoint: one WebSocket per outgoing TCP connection, with real sockets on 127.0.0.1
// (the proxy, HTTP and TCP targets, and `ws` as the client a browser would be).
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadProxyConfig, type ProxyConfig } from '../../../proxy/config.ts';
import { createEgressProxy } from '../../../proxy/egress.ts';
import { registryProxyPlugin } from '../../../proxy/vite-plugin.ts';
import { cleanup, eventually, tempDir } from '../../support/proxy-helpers.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MiB = 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** Polls for up to 20 s: for transfers bigger than `eventually` waits for. */
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((f) => f()));
});
afterAll(cleanup);

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stops.push(
    () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        if (server instanceof http.Server) server.closeAllConnections();
      }),
  );
  return (server.address() as AddressInfo).port;
}

interface EgressServer {
  base: string;
  logs: string[];
}

/** The egress endpoint alone on a free port; an upgrade it leaves gets a 418, so tests can tell. */
async function startEgress(overrides: Partial<ProxyConfig>): Promise<EgressServer> {
  const logs: string[] = [];
  const egress = createEgressProxy({ ...loadProxyConfig({}), log: (l) => logs.push(l), ...overrides });
  const server = http.createServer((req, res) => egress.handle(req, res));
  server.on('upgrade', (req, socket, head) => {
    if (!egress.handleUpgrade(req, socket, head)) socket.end('HTTP/1.1 418 I am a teapot\r\nConnection: close\r\n\r\n');
  });
  const port = await listen(server);
  stops.push(async () => egress.close());
  return { base: `ws://127.0.0.1:${port}/egress`, logs };
}

/** A TCP target that records each connection; `serve` runs on each accepted socket. */
async function startTarget(serve: (s: net.Socket) => void = () => undefined) {
  const sockets: net.Socket[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.push(s);
    serve(s);
  });
  const port = await listen(server);
  stops.push(async () => {
    for (const s of sockets) s.destroy();
  });
  return { port, sockets };
}

type Event = { kind: 'text'; text: string } | { kind: 'binary'; data: Buffer } | { kind: 'close'; code: number; reason: string };

/** A client WebSocket whose events queue up, to be taken in order. */
class Client {
  readonly ws: WebSocket;
  private readonly events: Event[] = [];
  private wake: (() => void) | undefined;

  constructor(url: string, options: { origin?: string; protocol?: string } = {}) {
    this.ws = new WebSocket(url, options.protocol ?? [], { origin: options.origin });
    this.ws.on('message', (data, isBinary) => this.push(isBinary ? { kind: 'binary', data: data as Buffer } : { kind: 'text', text: data.toString() }));
    this.ws.on('close', (code, reason) => this.push({ kind: 'close', code, reason: reason.toString() }));
    this.ws.on('error', () => undefined);
    stops.push(async () => this.ws.terminate());
  }

  private push(e: Event): void {
    this.events.push(e);
    this.wake?.();
  }

  async next(): Promise<Event> {
    while (this.events.length === 0) await new Promise<void>((r) => (this.wake = r));
    return this.events.shift()!;
  }

  /** The close that ends a refused or failed tunnel (nothing may come before it). */
  async closed(): Promise<{ code: number; reason: string }> {
    const e = await this.next();
    if (e.kind !== 'close') throw new Error(`expected a close, got ${JSON.stringify(e)}`);
    return { code: e.code, reason: e.reason };
  }

  /** Bytes until the proxy's `end`, then the next event after it. */
  async readToEnd(): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for (;;) {
      const e = await this.next();
      if (e.kind === 'binary') chunks.push(e.data);
      else if (e.kind === 'text' && e.text === 'end') return Buffer.concat(chunks);
      else throw new Error(`unexpected ${JSON.stringify(e)}`);
    }
  }

  /** Sends in 64 KiB messages, as a TCP stack would segment it. */
  sendBytes(b: Buffer): void {
    for (let i = 0; i < b.length; i += 64 * 1024) this.ws.send(b.subarray(i, i + 64 * 1024));
  }
}

/** A raw HTTP exchange on the proxy's port, for answers before (or instead of) an upgrade. */
function rawHttp(base: string, head: string): Promise<string> {
  const { port } = new URL(base.replace(/^ws/, 'http'));
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(port), '127.0.0.1', () => s.write(head));
    let out = '';
    s.on('data', (c) => (out += c.toString()));
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
}

const upgradeHead = (p: string) =>
  `GET ${p} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`;

describe('egress endpoint', () => {
  it('tunnels an HTTP exchange to an allowed target, 1 MiB each way intact, then closes 1000 after both ends', async () => {
    const upload = randomBytes(MiB);
    const download = randomBytes(MiB);
    let received: Buffer | undefined;
    const target = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received = Buffer.concat(chunks);
        res.writeHead(200, { 'Content-Length': download.length, Connection: 'close' }).end(download);
      });
    });
    const port = await listen(target);
    const egress = await startEgress({ egressAllow: [`127.0.0.1:${port}`] });
    const c = new Client(`${egress.base}/127.0.0.1:${port}`);
    expect(await c.next()).toEqual({ kind: 'text', text: `connected 127.0.0.1:${port}` });

    const request = Buffer.from(`POST /up HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${upload.length}\r\nConnection: close\r\n\r\n`);
    c.ws.send(request);
    c.sendBytes(upload);
    c.ws.send('end');
    const response = await c.readToEnd();
    expect(await c.closed()).toEqual({ code: 1000, reason: '' });

    const split = response.indexOf('\r\n\r\n');
    expect(response.subarray(0, split).toString()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(sha(response.subarray(split + 4))).toBe(sha(download));
    expect(sha(received!)).toBe(sha(upload));
    await eventually(() => egress.logs.length > 0);
    expect(egress.logs[0]).toMatch(
      new RegExp(`EGRESS 127\\.0\\.0\\.1:${port} 127\\.0\\.0\\.1:${port} close=1000 up=${request.length + upload.length}B down=${response.length}B \\d+ms$`),
    );
  });

  it('keeps each direction open after the other has ended (TCP half-close)', async () => {
    let late = '';
    const target = await startTarget((s) => {
      s.end('hello');
      s.on('data', (c: Buffer) => (late += c.toString()));
    });
    const egress = await startEgress({ egressAllow: [`127.0.0.1:${target.port}`] });
    const c = new Client(`${egress.base}/127.0.0.1:${target.port}`);
    expect((await c.next()).kind).toBe('text');
    expect((await c.readToEnd()).toString()).toBe('hello');
    // The target has said all it will; the client still talks, then ends its way too.
    c.ws.send(Buffer.from('late bytes'));
    c.ws.send('end');
    expect(await c.closed()).toEqual({ code: 1000, reason: '' });
    await eventually(() => late === 'late bytes');
    expect(late).toBe('late bytes');
  });

  it('refuses a target that is not on the list with 4403, and never dials it', async () => {
    const target = await startTarget();
    const egress = await startEgress({ egressAllow: [`127.0.0.1:${target.port + 1}`, 'example.org'] });
    const c = new Client(`${egress.base}/127.0.0.1:${target.port}`);
    expect(await c.closed()).toEqual({ code: 4403, reason: `egress to 127.0.0.1:${target.port} refused: not in PROXY_EGRESS_ALLOW` });
    // By default nothing at all is allowed.
    const none = await startEgress({});
    expect(await new Client(`${none.base}/example.org:443`).closed()).toEqual({
      code: 4403,
      reason: 'egress to example.org:443 refused: not in PROXY_EGRESS_ALLOW',
    });
    expect(target.sockets).toHaveLength(0);
    await eventually(() => none.logs.length > 0);
    expect(none.logs[0]).toMatch(/EGRESS example\.org:443 - close=4403 up=0B down=0B \d+ms reason="egress to example.org:443 refused/);
  });

  it('refuses a listed name that resolves to loopback, unless an IP entry names that address and port', async () => {
    const target = await startTarget((s) => s.end());
    const byName = await startEgress({ egressAllow: [`localhost:${target.port}`] });
    const refused = await new Client(`${byName.base}/localhost:${target.port}`).closed();
    expect(refused.code).toBe(4403);
    expect(refused.reason).toMatch(new RegExp(`^egress to localhost:${target.port} refused: resolves to non-public (127\\.0\\.0\\.1|::1)`));
    expect(target.sockets).toHaveLength(0);

    // The registry side's private-network allowance does not open egress.
    const registryPrivate = await startEgress({ egressAllow: [`localhost:${target.port}`], allowPrivate: ['all'] });
    expect((await new Client(`${registryPrivate.base}/localhost:${target.port}`).closed()).code).toBe(4403);

    const explicit = await startEgress({ egressAllow: [`localhost:${target.port}`, `127.0.0.1:${target.port}`] });
    const c = new Client(`${explicit.base}/localhost:${target.port}`);
    expect(await c.next()).toEqual({ kind: 'text', text: `connected 127.0.0.1:${target.port}` });
    expect((await c.readToEnd()).length).toBe(0);
  });

  it('allows any port of a CIDR entry with :*, and only 80/443 without a port', async () => {
    const a = await startTarget((s) => s.end('a'));
    const b = await startTarget((s) => s.end('b'));
    const egress = await startEgress({ egressAllow: ['127.0.0.0/8:*'] });
    for (const [t, body] of [
      [a, 'a'],
      [b, 'b'],
    ] as const) {
      const c = new Client(`${egress.base}/127.0.0.1:${t.port}`);
      expect(await c.next()).toEqual({ kind: 'text', text: `connected 127.0.0.1:${t.port}` });
      expect((await c.readToEnd()).toString()).toBe(body);
    }
    const webOnly = await startEgress({ egressAllow: ['127.0.0.0/8'] });
    expect((await new Client(`${webOnly.base}/127.0.0.1:${a.port}`).closed()).code).toBe(4403);
  });

  it('closes 4502 with the connect error when the target refuses, or its name does not resolve', async () => {
    const probe = net.createServer();
    const port = await new Promise<number>((resolve) => probe.listen(0, '127.0.0.1', () => resolve((probe.address() as AddressInfo).port)));
    await new Promise((r) => probe.close(r));
    const egress = await startEgress({ egressAllow: [`127.0.0.1:${port}`, 'nothing.invalid:*'] });
    expect(await new Client(`${egress.base}/127.0.0.1:${port}`).closed()).toEqual({ code: 4502, reason: `connect ECONNREFUSED 127.0.0.1:${port}` });
    expect(await new Client(`${egress.base}/nothing.invalid:80`).closed()).toEqual({ code: 4502, reason: 'ENOTFOUND nothing.invalid' });
  });

  it('closes 4500 with the error code when the target resets the connection', async () => {
    // The target resets only once the tunnel is up: a reset before the proxy's connect completes
    // is a connect failure (4502), which the test above covers; and a moment after its write, as
    // a reset in the write's own callback reached the proxy as a plain FIN here.
    const target = await startTarget((s) => s.once('data', () => s.write('partial', () => setTimeout(() => s.resetAndDestroy(), 20))));
    const egress = await startEgress({ egressAllow: [`127.0.0.1:${target.port}`] });
    const c = new Client(`${egress.base}/127.0.0.1:${target.port}`);
    expect(await c.next()).toMatchObject({ kind: 'text', text: expect.stringMatching(/^connected /) });
    c.sendBytes(Buffer.from('go'));
    expect(await c.next()).toEqual({ kind: 'binary', data: Buffer.from('partial') });
    expect(await c.closed()).toEqual({ code: 4500, reason: 'ECONNRESET' });
  });

  it('answers 400 to a bad target and 426 to plain HTTP, and leaves other upgrades alone', async () => {
    const egress = await startEgress({ egressAllow: ['127.0.0.0/8:*'] });
    for (const p of [
      '/egress',
      '/egress/',
      '/egress/127.0.0.1',
      '/egress/127.0.0.1:0',
      '/egress/127.0.0.1:70000',
      '/egress/[zz]:80',
      '/egress/a_b:80',
      '/egress/127.1:80',
      '/egress/x:80?y',
    ]) {
      expect(await rawHttp(egress.base, upgradeHead(p)), p).toMatch(/^HTTP\/1\.1 400 /);
    }
    expect(await rawHttp(egress.base, upgradeHead('/elsewhere'))).toMatch(/^HTTP\/1\.1 418 /);
    const httpBase = egress.base.replace(/^ws/, 'http');
    const plain = await fetch(`${httpBase}/127.0.0.1:80`);
    expect(plain.status).toBe(426);
    expect(plain.headers.get('upgrade')).toBe('websocket');
    expect((await fetch(`${httpBase}/nope`)).status).toBe(400);
    // A bracketed IPv6 literal is a valid target (refused here only by the list).
    expect((await new Client(`${egress.base}/[::1]:80`).closed()).reason).toBe('egress to [::1]:80 refused: not in PROXY_EGRESS_ALLOW');
  });

  it('checks Origin against corsOrigin', async () => {
    const target = await startTarget((s) => s.end());
    const egress = await startEgress({ egressAllow: [`127.0.0.1:${target.port}`], corsOrigin: 'https://demo.example' });
    const url = `${egress.base}/127.0.0.1:${target.port}`;
    expect(await new Client(url, { origin: 'https://evil.example' }).closed()).toEqual({
      code: 4403,
      reason: 'origin https://evil.example not allowed (PROXY_CORS_ORIGIN)',
    });
    expect(target.sockets).toHaveLength(0);
    const ok = new Client(url, { origin: 'https://demo.example' });
    expect(await ok.next()).toEqual({ kind: 'text', text: `connected 127.0.0.1:${target.port}` });
  });

  it('closes 1003 on a text message other than "end", and 1002 on data after "end"', async () => {
    const target = await startTarget();
    const egress = await startEgress({ egressAllow: [`127.0.0.1:${target.port}`] });
    const url = `${egress.base}/127.0.0.1:${target.port}`;
    const a = new Client(url);
    await a.next();
    a.ws.send('hello');
    expect((await a.closed()).code).toBe(1003);
    const b = new Client(url);
    await b.next();
    b.ws.send('end');
    b.ws.send(Buffer.from('more'));
    expect(await b.closed()).toEqual({ code: 1002, reason: 'data after "end"' });
  });

  it('destroys the upstream when the client closes mid-transfer', async () => {
    const closed: boolean[] = [];
    const target = await startTarget((s) => {
      const chunk = randomBytes(64 * 1024);
      const pump = () => {
        while (!s.destroyed && s.write(chunk));
      };
      s.on('drain', pump);
      s.on('close', () => closed.push(true));
      s.on('error', () => undefined);
      pump();
    });
    const egress = await startEgress({ egressAllow: [`127.0.0.1:${target.port}`] });
    const c = new Client(`${egress.base}/127.0.0.1:${target.port}`);
    await c.next();
    expect((await c.next()).kind).toBe('binary');
    c.ws.close(1000);
    await eventually(() => closed.length === 1);
    expect(closed).toEqual([true]);
    await eventually(() => egress.logs.length === 1);
    expect(egress.logs[0]).toMatch(/client-close=1000 up=0B down=\d+B/);
  });

  it('stops reading the target while the client does not read, and the client while the target does not', async () => {
    const big = randomBytes(64 * MiB);
    let server: net.Socket | undefined;
    const target = await startTarget((s) => {
      server = s;
      s.pause();
    });
    const egress = await startEgress({ egressAllow: [`127.0.0.1:${target.port}`] });

    // Upload into a target that reads nothing: the proxy must stop reading the WebSocket.
    const up = new Client(`${egress.base}/127.0.0.1:${target.port}`);
    await up.next();
    up.sendBytes(big);
    await new Promise((r) => setTimeout(r, 500));
    expect(up.ws.bufferedAmount).toBeGreaterThan(32 * MiB);
    const got: Buffer[] = [];
    server!.on('data', (c: Buffer) => got.push(c));
    server!.resume();
    await until(() => got.reduce((n, c) => n + c.length, 0) === big.length);
    expect(sha(Buffer.concat(got))).toBe(sha(big));

    // Download to a client that reads nothing: the proxy must stop reading the target.
    server!.write(big);
    up.ws.pause();
    await new Promise((r) => setTimeout(r, 500));
    expect(server!.writableLength).toBeGreaterThan(32 * MiB);
    const down: Buffer[] = [];
    up.ws.resume();
    server!.end();
    for (let e = await up.next(); e.kind === 'binary'; e = await up.next()) down.push(e.data);
    expect(sha(Buffer.concat(down))).toBe(sha(big));
  });
});

describe('where it mounts', () => {
  it("Vite dev server: HMR's WebSocket still works beside /egress, which allows nothing unless configured", async () => {
    const target = await startTarget((s) => s.end('hi'));
    const site = await tempDir('egress-site-');
    const start = async (overrides: Partial<ProxyConfig>) => {
      const server = await createServer({
        configFile: false,
        root: site,
        logLevel: 'silent',
        plugins: [registryProxyPlugin({ cacheDir: await tempDir(), log: null, ...overrides })],
        server: { host: '127.0.0.1', port: 0 },
      });
      await server.listen();
      stops.push(() => server.close());
      return server.resolvedUrls!.local[0]!.replace(/^http/, 'ws').replace(/\/$/, '');
    };
    const base = await start({ egressAllow: [`127.0.0.1:${target.port}`] });
    const hmr = new Client(`${base}/`, { protocol: 'vite-hmr' });
    expect(await hmr.next()).toEqual({ kind: 'text', text: JSON.stringify({ type: 'connected' }) });
    const c = new Client(`${base}/egress/127.0.0.1:${target.port}`);
    expect(await c.next()).toEqual({ kind: 'text', text: `connected 127.0.0.1:${target.port}` });
    expect((await c.readToEnd()).toString()).toBe('hi');

    // The plugin allows loopback registries, not loopback egress.
    const demo = await start({});
    expect((await new Client(`${demo}/egress/127.0.0.1:${target.port}`).closed()).code).toBe(4403);
  });

  it('standalone server: prints the egress allowlist and tunnels', async () => {
    const target = await startTarget((s) => s.end('hi'));
    const child = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['proxy/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, PROXY_PORT: '0', PROXY_EGRESS_ALLOW: `127.0.0.1:${target.port}`, PROXY_CACHE_DIR: await tempDir() },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    // SIGTERM, not SIGKILL: tsx passes it on to the node process it runs.
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    stops.push(async () => {
      if (child.exitCode === null && child.kill('SIGTERM')) await exited;
    });
    let out = '';
    const base = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /listening on http:\/\/(127\.0\.0\.1:\d+)/.exec(out);
        if (m) resolve(`ws://${m[1]}`);
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code}: ${out}`)));
    });
    expect(out).toContain(`egress allow: 127.0.0.1:${target.port}`);
    const c = new Client(`${base}/egress/127.0.0.1:${target.port}`);
    expect(await c.next()).toEqual({ kind: 'text', text: `connected 127.0.0.1:${target.port}` });
    expect((await c.readToEnd()).toString()).toBe('hi');
    c.ws.send('end');
    expect((await c.closed()).code).toBe(1000);
    expect(await rawHttp(base, upgradeHead('/v2/'))).toBe('');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

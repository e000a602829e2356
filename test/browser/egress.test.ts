// Egress end to end, in the demo page with its proxy: an x86 container's request for a server
// beyond its network goes to the gateway's HTTP proxy (http_proxy, set for it), then over a
// WebSocket to the project's proxy, which reaches only what its allowlist names. The servers are
// real ones on this machine (test/support/egress-targets.ts); the allowlist names one of them.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type BrowserSession, launchChromium } from '../support/chromium.ts';

const baseUrl = inject('baseUrl');
const { host, address, allowedPort, refusedPort } = inject('egress');
let s: BrowserSession;

const docker = (cmd: string) => s.page.evaluate((c) => window.docker(c), cmd);
const hits = async (port: number) => Number(await (await fetch(`http://${address}:${port}/hits`)).text());

beforeAll(async () => {
  s = await launchChromium();
  await s.page.goto(`${baseUrl}/demo/index.html?db=egress`);
  await s.page.evaluate(() => window.engineReady);
  expect((await docker('docker network create out')).code).toBe(0);
  expect((await docker('docker network create --internal sealed')).code).toBe(0);
});
afterAll(() => s?.close());

describe('egress through the proxy', () => {
  it('reaches a server the allowlist names, with http_proxy set to the gateway', async () => {
    const r = await docker(`docker run --rm --network out busybox sh -c 'echo $http_proxy; wget -qO- http://${host}:${allowedPort}/hello'`);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^http:\/\/172\.\d+\.0\.1:3128\nhello from allowed outside, GET \/hello\n$/);
    expect(r.code).toBe(0);
  });

  it('tunnels CONNECT end to end: the bytes after the 200 are the server’s', async () => {
    const r = await docker(
      `docker run --rm --network out busybox sh -c 'p=\${http_proxy#http://}; printf "CONNECT ${host}:${allowedPort} HTTP/1.1\\r\\n\\r\\nGET /tunnel HTTP/1.0\\r\\n\\r\\n" | nc \${p%:*} \${p##*:}'`,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^HTTP\/1\.1 200 Connection established\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
    expect(r.stdout).toContain('hello from allowed outside, GET /tunnel');
  });

  it('refuses a server the allowlist does not name, saying so, and never reaches it', async () => {
    const r = await docker(`docker run --rm --network out busybox wget -qO- http://${host}:${refusedPort}/`);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`403 egress to ${host}:${refusedPort} refused`);
    expect(await hits(refusedPort)).toBe(0);
  });

  it('has none from an internal network', async () => {
    const before = await hits(allowedPort);
    const r = await docker(`docker run --rm --network sealed busybox wget -qO- http://${host}:${allowedPort}/`);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('502 network is internal: no egress');
    expect(await hits(allowedPort)).toBe(before);
  });

  it('tells a client that sent the container’s own loopback to the proxy what happened', async () => {
    const r = await docker('docker run --rm --network out busybox wget -qO- http://127.0.0.1:8000/');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("127.0.0.1 is the container's own loopback");
  });
  it('fetches a Dockerfile’s ADD <url> through the proxy, from allowed hosts only', async () => {
    const write = (p: string, t: string) => s.page.evaluate(([f, x]) => window.dockerFiles.set(f!, new TextEncoder().encode(x)), [p, t]);
    await write('addurl/Dockerfile', `FROM busybox\nADD http://${host}:${allowedPort}/files/note.txt /srv/\n`);
    const b = await docker('docker build -t addurl addurl');
    expect(b.code, b.stderr).toBe(0);
    const r = await docker(`docker run --rm addurl sh -c 'cat /srv/note.txt; stat -c %a /srv/note.txt'`);
    expect(r.stdout).toBe('hello from allowed outside, GET /files/note.txt\n600\n');
    await write('addurl/Dockerfile', `FROM busybox\nADD http://${host}:${refusedPort}/x /x\n`);
    const refused = await docker('docker build addurl');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/ERROR: failed to build: failed to solve: failed to load cache key: .*egressAllow/);
  });
});

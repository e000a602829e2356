// The upstream token dance: against a real docker-registry with `auth: token` (anonymous pulls),
// and against a small fake registry whose token server wants the proxy's service account.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanup,
  errorCodes,
  eventually,
  get,
  OCI_MANIFEST,
  type PushedImage,
  pull,
  pushImage,
  sha256,
  startFront,
  startProxy,
  tempDir,
  tokenAuthDir,
} from '../../support/proxy-helpers.ts';
import { type RunningRegistry, startRegistry, startTokenAuthRegistry } from '../../support/registry.ts';

let open: RunningRegistry;
let auth: RunningRegistry & { tokenRequests(): number };
let image: PushedImage;

beforeAll(async () => {
  const dataDir = await tempDir();
  open = await startRegistry({ dataDir });
  image = await pushImage(open, 'secured/app', 'v1', [40_000, 1000]);
  await pushImage(open, 'secured/other', 'v1', [10]);
  auth = await startTokenAuthRegistry({ dataDir, authDir: await tokenAuthDir() });
});
afterAll(async () => {
  await cleanup();
  await Promise.all([open?.stop(), auth?.stop()]);
});

describe('token-auth registry (docker-registry, auth: token)', () => {
  it('really requires a token', async () => {
    const r = await fetch(`${auth.url}/v2/secured/app/manifests/v1`);
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
  });

  it('pulls anonymously through the proxy; the browser never sees a 401', async () => {
    const proxy = await startProxy({ allow: [auth.host] });
    const tokens = auth.tokenRequests();
    const blobs = await pull(proxy.url, auth.host, 'secured/app', 'v1');
    expect(blobs.get(image.layers[0]!.digest)!.equals(image.layers[0]!.bytes)).toBe(true);
    // One token for the repository, reused for the manifest and every blob.
    expect(auth.tokenRequests() - tokens).toBe(1);
    await eventually(() => proxy.logs.length === 4); // a line is written when its response closes
    expect(proxy.logs.length).toBe(4); // manifest, config, 2 layers
    for (const line of proxy.logs) expect(line).toMatch(/ 200 \d+B cache=miss /);
  });

  it('fetches one token per repository scope', async () => {
    const proxy = await startProxy({ allow: [auth.host] });
    const tokens = auth.tokenRequests();
    for (const repo of ['secured/app', 'secured/other', 'secured/app']) {
      const r = await get(`${proxy.url}/v2/${auth.host}/${repo}/manifests/v1`);
      expect(r.status).toBe(200);
      expect(r.headers.get('www-authenticate')).toBeNull();
    }
    expect(auth.tokenRequests() - tokens).toBe(2);
  });

  it('pings a token-auth upstream by authenticating for it', async () => {
    const proxy = await startProxy({ allow: [auth.host] });
    const r = await get(`${proxy.url}/v2/${auth.host}/`);
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('{}');
  });
});

// A registry that needs the service account: its token server grants `private/*` only to
// svc:secret; anyone else gets a token without access, which the registry refuses.
const ACCOUNT = `Basic ${Buffer.from('svc:secret').toString('base64')}`;
const PRIVATE_MANIFEST = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, layers: [] }));

function fakePrivateRegistry(realm: () => string, seen: { tokenAuth: (string | undefined)[] }) {
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/token') {
      seen.tokenAuth.push(req.headers.authorization);
      if (req.headers.authorization && req.headers.authorization !== ACCOUNT) {
        res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"details":"incorrect username or password"}');
        return true;
      }
      const token = req.headers.authorization === ACCOUNT ? 'account-token' : 'anonymous-token';
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ access_token: token, expires_in: 300 }));
      return true;
    }
    if (req.headers.authorization !== 'Bearer account-token') {
      res.writeHead(401, {
        'Content-Type': 'application/json',
        'WWW-Authenticate': `Bearer realm="${realm()}",service="private",scope="repository:private/app:pull"`,
      });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      return true;
    }
    res.writeHead(200, {
      'Content-Type': OCI_MANIFEST,
      'Content-Length': String(PRIVATE_MANIFEST.length),
      'Docker-Content-Digest': sha256(PRIVATE_MANIFEST),
    });
    res.end(req.method === 'HEAD' ? undefined : PRIVATE_MANIFEST);
    return true;
  };
}

describe('service-account credentials from the config', () => {
  it('are sent to the token server, and the private manifest is served', async () => {
    const seen = { tokenAuth: [] as (string | undefined)[] };
    const upstream = await startFront();
    upstream.intercept = fakePrivateRegistry(() => `${upstream.url}/token`, seen);
    const proxy = await startProxy({ allow: [upstream.host], credentials: { [upstream.host]: { username: 'svc', password: 'secret' } } });
    const r = await get(`${proxy.url}/v2/${upstream.host}/private/app/manifests/latest`);
    expect(r.status).toBe(200);
    expect(r.body.equals(PRIVATE_MANIFEST)).toBe(true);
    expect(seen.tokenAuth).toEqual([ACCOUNT]);
    // The token server saw the scope the registry asked for.
    const tokenRequest = upstream.requests.find((q) => q.url.startsWith('/token'))!;
    expect(new URL(tokenRequest.url, 'http://x').searchParams.get('scope')).toBe('repository:private/app:pull');
  });

  it('without them the client gets a registry-style 401 with no upstream challenge', async () => {
    const seen = { tokenAuth: [] as (string | undefined)[] };
    const upstream = await startFront();
    upstream.intercept = fakePrivateRegistry(() => `${upstream.url}/token`, seen);
    const proxy = await startProxy({ allow: [upstream.host] });
    const r = await get(`${proxy.url}/v2/${upstream.host}/private/app/manifests/latest`);
    expect(r.status).toBe(401);
    expect(errorCodes(r.body)).toEqual(['UNAUTHORIZED']);
    expect(r.headers.get('www-authenticate')).toBeNull();
    expect(seen.tokenAuth).toEqual([undefined]); // an anonymous token was tried once
  });

  it('with a wrong password the token server refuses and the client gets 401 UNAUTHORIZED', async () => {
    const seen = { tokenAuth: [] as (string | undefined)[] };
    const upstream = await startFront();
    upstream.intercept = fakePrivateRegistry(() => `${upstream.url}/token`, seen);
    const proxy = await startProxy({ allow: [upstream.host], credentials: { [upstream.host]: { username: 'svc', password: 'wrong' } } });
    const r = await get(`${proxy.url}/v2/${upstream.host}/private/app/manifests/latest`);
    expect(r.status).toBe(401);
    expect(errorCodes(r.body)).toEqual(['UNAUTHORIZED']);
    expect(JSON.parse(r.body.toString()).errors[0].message).toContain('token server');
  });

  it('answer a Basic challenge directly', async () => {
    const upstream = await startFront();
    upstream.intercept = (req, res) => {
      if (req.headers.authorization !== ACCOUNT) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="registry"' }).end();
        return true;
      }
      res.writeHead(200, { 'Content-Type': OCI_MANIFEST }).end(req.method === 'HEAD' ? undefined : PRIVATE_MANIFEST);
      return true;
    };
    const without = await startProxy({ allow: [upstream.host] });
    const denied = await get(`${without.url}/v2/${upstream.host}/private/app/manifests/latest`);
    expect(denied.status).toBe(401);
    expect(errorCodes(denied.body)).toEqual(['UNAUTHORIZED']);

    const withAccount = await startProxy({ allow: [upstream.host], credentials: { [upstream.host]: { username: 'svc', password: 'secret' } } });
    const ok = await get(`${withAccount.url}/v2/${upstream.host}/private/app/manifests/latest`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('docker-content-digest')).toBe(sha256(PRIVATE_MANIFEST));
  });
});

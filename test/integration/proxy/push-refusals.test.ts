// What a push through the proxy may not do: push to a registry the config does not name, send
// the browser on to another upstream URL (a crafted upload path, or a registry's hostile
// Location), pass an oversize manifest, use a method a route does not answer. Each refusal is a
// registry-style 4xx/502, and nothing reaches the upstream unless it must.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, errorCodes, type Front, OCI_MANIFEST, startFront, startProxy, type TestProxy, tempDir } from '../../support/proxy-helpers.ts';
import { type RunningRegistry, startRegistry } from '../../support/registry.ts';

let registry: RunningRegistry;
let front: Front;
let proxy: TestProxy;

beforeAll(async () => {
  registry = await startRegistry({ dataDir: await tempDir() });
  front = await startFront(registry);
  proxy = await startProxy({ allow: [front.host], pushAllow: [front.host], manifestMaxBytes: 4096 });
});
afterAll(async () => {
  await cleanup();
  await registry.stop();
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A request with the path sent exactly as written (fetch would normalise `..` and `%2e`). */
function send(p: TestProxy, method: string, rawPath: string, body?: Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  const u = new URL(p.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: rawPath, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const message = (a: Answer) => (JSON.parse(a.body.toString()) as { errors: { message: string }[] }).errors[0]!.message;

async function expectRefused(p: TestProxy, method: string, path: string, status: number, code: string, body?: Buffer): Promise<Answer> {
  const before = front.requests.length;
  const a = await send(p, method, path, body);
  expect(a.status, `${method} ${path}`).toBe(status);
  expect(errorCodes(a.body), `${method} ${path}`).toEqual([code]);
  expect(front.requests.length, `${method} ${path} reached the upstream`).toBe(before);
  return a;
}

describe('push refusals', () => {
  it('a registry that is not on pushAllow, or not on allow', async () => {
    const pullOnly = await startProxy({ allow: [front.host] });
    for (const [method, path] of [
      ['POST', `/v2/${front.host}/team/app/blobs/uploads/`],
      ['PATCH', `/v2/${front.host}/team/app/blobs/uploads/0b1c2d3e-0000-4000-8000-000000000000?_state=x`],
      ['PUT', `/v2/${front.host}/team/app/blobs/uploads/0b1c2d3e-0000-4000-8000-000000000000?digest=sha256%3A${'0'.repeat(64)}`],
      ['GET', `/v2/${front.host}/team/app/blobs/uploads/0b1c2d3e-0000-4000-8000-000000000000`],
      ['PUT', `/v2/${front.host}/team/app/manifests/v1`],
    ] as const) {
      const a = await expectRefused(pullOnly, method, path, 403, 'DENIED', method === 'GET' ? undefined : Buffer.from('{}'));
      expect(message(a)).toBe(`pushes to ${front.host} are refused: it is not on this proxy's pushAllow list (PROXY_PUSH_ALLOW)`);
    }
    // pushAllow alone opens nothing: the registry must be on allow too.
    const pushOnly = await startProxy({ allow: [], pushAllow: [front.host] });
    const a = await expectRefused(pushOnly, 'POST', `/v2/${front.host}/team/app/blobs/uploads/`, 403, 'DENIED');
    expect(message(a)).toContain('allowlist');
  });

  it('an upload path that is not one upload id: `..`, encoded slashes and dots, extra segments', async () => {
    const uploads = `/v2/${front.host}/team/app/blobs/uploads`;
    for (const id of ['..', '.', '%2e%2e', 'a%2Fb', '%2F..%2F..%2Fother', 'x\\y']) {
      await expectRefused(proxy, 'PATCH', `${uploads}/${id}`, 400, 'BLOB_UPLOAD_INVALID', Buffer.alloc(10));
    }
    await expectRefused(proxy, 'PATCH', `${uploads}/abc/../../../other/blobs/uploads/x`, 400, 'NAME_INVALID');
    await expectRefused(proxy, 'PATCH', `${uploads}/abc/def`, 404, 'UNSUPPORTED');
    await expectRefused(proxy, 'PUT', `${uploads}/abc?_state=a#b`, 400, 'BLOB_UPLOAD_INVALID');
    await expectRefused(proxy, 'POST', `/v2/${front.host}/team/../secret/blobs/uploads/`, 400, 'NAME_INVALID');
    await expectRefused(proxy, 'POST', `/v2/${front.host}/team/app/blobs/uploads/?mount=sha256:abc&from=team/base`, 400, 'DIGEST_INVALID');
    await expectRefused(proxy, 'POST', `/v2/${front.host}/team/app/blobs/uploads/?mount=sha256:${'0'.repeat(64)}&from=../x`, 400, 'NAME_INVALID');
  });

  it('an upstream Location on another host, or outside the proxy’s scheme', async () => {
    const hostile = await startFront();
    const elsewhere = await startFront();
    const p = await startProxy({ allow: [hostile.host], pushAllow: [hostile.host] });
    let location = '';
    hostile.intercept = (_req, res) => {
      res.writeHead(202, { Location: location, 'Content-Length': '0' }).end();
      return true;
    };
    for (const l of [
      'http://evil.example/v2/team/app/blobs/uploads/abc',
      `${elsewhere.url}/v2/team/app/blobs/uploads/abc`,
      `//${elsewhere.host}/v2/team/app/blobs/uploads/abc`,
      `https://${hostile.host}/v2/team/app/blobs/uploads/abc`,
      '/v2/team/../../admin',
      '/v2/team/app/blobs/uploads/a%2Fb',
      '/v2/team/app/blobs/uploads/%2e%2e',
      '/v2/team/app/blobs/uploads/',
      '/v2/team/app/tags/list',
      '/elsewhere/upload',
    ]) {
      location = l;
      const a = await send(p, 'POST', `/v2/${hostile.host}/team/app/blobs/uploads/`);
      expect(a.status, l).toBe(502);
      expect(message(a), l).toMatch(/answered a push with a Location .*; refusing it$/);
      expect(a.headers.location, l).toBeUndefined();
    }
    expect(elsewhere.requests).toEqual([]);
    // The same registry, a path it may name: followed under the proxy's scheme.
    location = `${hostile.url}/v2/team/app/blobs/uploads/abc-1?_state=s%3D`;
    const ok = await send(p, 'POST', `/v2/${hostile.host}/team/app/blobs/uploads/`);
    expect(ok.status).toBe(202);
    expect(ok.headers.location).toBe(`/v2/${hostile.host}/team/app/blobs/uploads/abc-1?_state=s%3D`);
  });

  it('a manifest over manifestMaxBytes, announced or not', async () => {
    const big = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, layers: [], annotations: { pad: 'x'.repeat(5000) } }));
    const a = await expectRefused(proxy, 'PUT', `/v2/${front.host}/team/app/manifests/big`, 400, 'MANIFEST_INVALID', big);
    expect(message(a)).toContain('4096 bytes');
    const before = front.requests.length;
    // Sent chunked, without Content-Length: cut while it is read (the connection goes, or a 400 arrives).
    const chunked = await new Promise<number | string>((resolve) => {
      const u = new URL(proxy.url);
      const req = http.request({ host: u.hostname, port: u.port, path: `/v2/${front.host}/team/app/manifests/big`, method: 'PUT' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      for (let i = 0; i < 10; i++) req.write(big.subarray(i * 500, (i + 1) * 500));
      req.end();
    });
    expect([400, 'ECONNRESET', 'EPIPE']).toContain(chunked);
    expect(front.requests.length).toBe(before);
  });

  it('methods a route does not answer, and routes the proxy does not serve', async () => {
    const digest = `sha256:${'0'.repeat(64)}`;
    for (const [method, path, allow] of [
      ['DELETE', `/v2/${front.host}/team/app/manifests/v1`, 'GET, HEAD, PUT, OPTIONS'],
      ['POST', `/v2/${front.host}/team/app/blobs/${digest}`, 'GET, HEAD, OPTIONS'],
      ['DELETE', `/v2/${front.host}/team/app/blobs/${digest}`, 'GET, HEAD, OPTIONS'],
      ['PUT', `/v2/${front.host}/team/app/blobs/uploads/`, 'POST, OPTIONS'],
      ['POST', `/v2/${front.host}/team/app/blobs/uploads/abc`, 'GET, PATCH, PUT, DELETE, OPTIONS'],
      ['POST', `/v2/${front.host}/team/app/tags/list`, 'GET, HEAD, OPTIONS'],
      ['TRACE', `/v2/${front.host}/`, 'GET, HEAD, OPTIONS'],
    ] as const) {
      const a = await expectRefused(proxy, method, path, 405, 'UNSUPPORTED');
      expect(a.headers.allow, `${method} ${path}`).toBe(allow);
    }
    await expectRefused(proxy, 'POST', `/v2/${front.host}/team/app/referrers/${digest}`, 404, 'UNSUPPORTED');
    await expectRefused(proxy, 'PUT', `/v2/${front.host}/team/app/blobs/upload/abc`, 404, 'UNSUPPORTED');
  });
});

// What the proxy refuses: it is not an open proxy. Each refusal is a clean 4xx with a
// registry-style error body, nothing reaches the upstream unless it must, and nothing is cached.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cacheFiles,
  cleanup,
  errorCodes,
  type Front,
  get,
  OCI_MANIFEST,
  type PushedImage,
  pushImage,
  rawGet,
  startFront,
  startProxy,
  type TestProxy,
  tempDir,
} from '../../support/proxy-helpers.ts';
import { pushManifest, type RunningRegistry, startRegistry } from '../../support/registry.ts';

let registry: RunningRegistry;
let front: Front;
let proxy: TestProxy;
let image: PushedImage;
let bigManifestDigest: string;

beforeAll(async () => {
  registry = await startRegistry({ dataDir: await tempDir() });
  image = await pushImage(registry, 'team/app', 'v1', [100]);
  const config = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: image.config.digest, size: image.config.bytes.length };
  const big = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [], annotations: { pad: 'x'.repeat(5000) } }));
  bigManifestDigest = await pushManifest(registry, 'team/app', 'big', big, OCI_MANIFEST);
  front = await startFront(registry);
  proxy = await startProxy({ allow: [front.host], manifestMaxBytes: 4096 });
});
afterAll(async () => {
  await cleanup();
  await registry.stop();
});

async function expectRefused(p: TestProxy, path: string, status: number, code: string, upstream?: Front): Promise<void> {
  const before = upstream?.requests.length;
  const r = await rawGet(p.url, path);
  expect(r.status, path).toBe(status);
  expect(errorCodes(r.body), path).toEqual([code]);
  if (upstream) expect(upstream.requests.length, `${path} reached the upstream`).toBe(before);
  expect(await cacheFiles(p.cacheDir)).toEqual([]);
}

describe('refusals', () => {
  it('a registry that is not on the allowlist', async () => {
    await expectRefused(proxy, '/v2/evil.example/team/app/manifests/v1', 403, 'DENIED');
    // A real registry on this machine, just not listed.
    await expectRefused(proxy, `/v2/127.0.0.1:${registry.port}/team/app/manifests/v1`, 403, 'DENIED');
  });

  it('an allowlisted registry on a loopback or private address the config does not allow', async () => {
    const strict = await startProxy({ allow: [front.host, `localhost:${front.host.split(':')[1]}`, '10.1.2.3:5000'], allowPrivate: [] });
    await expectRefused(strict, `/v2/${front.host}/team/app/manifests/v1`, 403, 'DENIED', front);
    await expectRefused(strict, `/v2/${front.host}/team/app/blobs/${image.config.digest}`, 403, 'DENIED', front);
    // By name: the check is on the resolved address, at connect time.
    await expectRefused(strict, `/v2/localhost:${front.host.split(':')[1]}/team/app/manifests/v1`, 403, 'DENIED', front);
    await expectRefused(strict, '/v2/10.1.2.3:5000/team/app/manifests/v1', 403, 'DENIED');
  });

  it('a manifest over the size cap, by tag and by digest', async () => {
    await expectRefused(proxy, `/v2/${front.host}/team/app/manifests/big`, 400, 'MANIFEST_INVALID');
    await expectRefused(proxy, `/v2/${front.host}/team/app/manifests/${bigManifestDigest}`, 400, 'MANIFEST_INVALID');
  });

  it('a manifest over the size cap sent without Content-Length', async () => {
    const chunked = await startFront();
    chunked.intercept = (_req, res) => {
      res.writeHead(200, { 'Content-Type': OCI_MANIFEST });
      for (let i = 0; i < 10; i++) res.write('x'.repeat(1000));
      res.end();
      return true;
    };
    const p = await startProxy({ allow: [chunked.host], manifestMaxBytes: 4096 });
    await expectRefused(p, `/v2/${chunked.host}/team/app/manifests/v1`, 400, 'MANIFEST_INVALID');
  });

  it('path traversal and other invalid repository names', async () => {
    for (const name of ['team/../secret', 'team/%2e%2e/secret', 'team//app', 'Team/App', 'team/app%2Fx', 'team/.app', 'team\\app']) {
      await expectRefused(proxy, `/v2/${front.host}/${name}/manifests/v1`, 400, 'NAME_INVALID', front);
    }
    await expectRefused(proxy, `/v2/../etc/passwd/manifests/v1`, 400, 'NAME_INVALID', front);
    await expectRefused(proxy, `/v2/${'a'.repeat(250)}.io/${'b'.repeat(10)}/manifests/v1`, 400, 'NAME_INVALID', front);
  });

  it('a malformed digest or tag', async () => {
    for (const d of ['sha256:abc', `sha256:${'A'.repeat(64)}`, `md5:${'0'.repeat(32)}`, 'latest', `sha256:${'0'.repeat(63)}g`]) {
      await expectRefused(proxy, `/v2/${front.host}/team/app/blobs/${d}`, 400, 'DIGEST_INVALID', front);
    }
    await expectRefused(proxy, `/v2/${front.host}/team/app/manifests/sha256:1234`, 400, 'DIGEST_INVALID', front);
    await expectRefused(proxy, `/v2/${front.host}/team/app/manifests/-bad`, 400, 'TAG_INVALID', front);
    await expectRefused(proxy, `/v2/${front.host}/team/app/manifests/${'t'.repeat(129)}`, 400, 'TAG_INVALID', front);
  });

  it('pushes (this proxy has no pushAllow) and endpoints the proxy does not serve', async () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const before = front.requests.length;
      const path = method === 'POST' ? 'blobs/uploads/' : method === 'PUT' ? 'manifests/v1' : 'blobs/uploads/0b1c2d3e';
      const r = await get(`${proxy.url}/v2/${front.host}/team/app/${path}`, { method });
      expect(r.status).toBe(403);
      expect(errorCodes(r.body)).toEqual(['DENIED']);
      expect(front.requests.length).toBe(before);
    }
    const r = await get(`${proxy.url}/v2/${front.host}/team/app/blobs/${image.config.digest}`, { method: 'DELETE' });
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    await expectRefused(proxy, `/v2/${front.host}/team/app/referrers/${image.digest}`, 404, 'UNSUPPORTED', front);
    await expectRefused(proxy, '/v2/_catalog', 400, 'NAME_INVALID', front);
  });
});

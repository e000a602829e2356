// `docker push` by the engine, with its registry client pointed at the proxy (as the demo is):
// a pulled image pushed to another repository of the test registry mounts its layers, a second
// push finds them there, and a pull through the proxy gets the pushed digest.
import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Engine } from '../../../engine/engine.ts';
import { dockerCommand } from '../../support/cli-helpers.ts';
import { cleanup, startProxy, type TestProxy } from '../../support/proxy-helpers.ts';

const registry = inject('registry');
const run = Date.now().toString(36);
let proxy: TestProxy;
let engine: Engine;
const docker = (line: string) => dockerCommand(engine, line);

beforeAll(async () => {
  proxy = await startProxy({ allow: [registry], pushAllow: [registry] });
  engine = await Engine.open({ dbName: `proxy-push-${process.pid}`, registry: { proxy: `${proxy.url}/`, proxyLoopback: true } });
});
afterAll(async () => {
  engine.close();
  await cleanup();
});

describe('docker push through the proxy', () => {
  it('mounts the layers from the repository the image came from, then finds them there', async () => {
    const src = `${registry}/fixtures/busybox:latest`;
    expect((await docker(`docker pull -q ${src}`)).code).toBe(0);
    const target = `${registry}/proxied-${run}/busybox:v1`;
    expect((await docker(`docker tag ${src} ${target}`)).code).toBe(0);
    const first = await docker(`docker push ${target}`);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/[0-9a-f]{12}: Mounted from fixtures\/busybox\n/);
    const digest = /v1: digest: (sha256:[0-9a-f]{64}) size: \d+\n$/.exec(first.stdout)?.[1];
    expect(digest).toBe((await engine.images.inspect(src)).RepoDigests[0]!.split('@')[1]);
    const again = await docker(`docker push ${target}`);
    expect(again.stdout).toMatch(/[0-9a-f]{12}: Layer already exists\n/);
    expect(again.stdout).not.toContain('Pushed');
    // The requests went through the proxy, and what it serves for the tag is what was pushed.
    expect(proxy.logs.some((l) => / PUT http:\/\/\S+\/manifests\/v1 201 /.test(l))).toBe(true);
    const m = await fetch(`${proxy.url}/v2/${registry}/proxied-${run}/busybox/manifests/v1`, { method: 'HEAD' });
    expect(m.headers.get('docker-content-digest')).toBe(digest);
  });

  it('is refused with the reason when the registry is not on pushAllow', async () => {
    const pullOnly = await startProxy({ allow: [registry] });
    const other = await Engine.open({ dbName: `proxy-push-refused-${process.pid}`, registry: { proxy: `${pullOnly.url}/`, proxyLoopback: true } });
    try {
      expect((await dockerCommand(other, `docker pull -q ${registry}/fixtures/busybox:latest`)).code).toBe(0);
      expect((await dockerCommand(other, `docker tag ${registry}/fixtures/busybox:latest ${registry}/refused-${run}/busybox:v1`)).code).toBe(0);
      const push = await dockerCommand(other, `docker push ${registry}/refused-${run}/busybox:v1`);
      expect(push.code).toBe(1);
      // The engine lower-cases the registry's message.
      expect(push.stderr).toContain("not on this proxy's pushallow list (proxy_push_allow)");
    } finally {
      other.close();
    }
  });
});

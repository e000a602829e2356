// Pulls the fixture images from a real registry into real IndexedDB in Chromium.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type BrowserSession, launchChromium, openHarness } from '../support/chromium.ts';
import { makeTar, pushImage } from '../support/image-builder.ts';
import { loadFixtures, loadTree } from '../support/registry.ts';

const registry = inject('registry');
const authRegistry = inject('authRegistry');
const fixtures = loadFixtures();
let s: BrowserSession;

beforeAll(async () => {
  s = await launchChromium();
  await openHarness(s.page, inject('baseUrl'), 'pull');
  await s.page.evaluate(async () => {
    globalThis.E = await T.open();
  });
});
afterAll(() => s?.close());

function pull(ref: string, platform?: string) {
  return s.page.evaluate(
    async ([ref, platform]) => {
      const events: string[] = [];
      try {
        const r = await E.images.pull(ref!, {
          ...(platform ? { platform } : {}),
          onProgress: (p) => events.push(p.kind === 'layer' ? `${p.id} ${p.status}` : p.message),
        });
        return {
          ok: true as const,
          id: r.image.Id,
          tags: r.image.RepoTags,
          digests: r.image.RepoDigests,
          digest: r.digest,
          status: r.status,
          stats: r.stats,
          platform: r.image.Platform,
          events,
        };
      } catch (e) {
        return { ok: false as const, error: T.describe(e), events };
      }
    },
    [ref, platform] as const,
  );
}

describe('pull from a real registry', () => {
  it('pulls the multi-layer busybox and its merged tree matches the host unpack entry by entry', async () => {
    const r = await pull(`${registry}/fixtures/busybox:latest`);
    expect(r.ok, JSON.stringify(r)).toBe(true);
    if (!r.ok) return;
    const f = fixtures.images['fixtures/busybox:latest']!;
    expect(r.id).toBe(f.manifest.config!.digest);
    expect(r.digest).toBe(f.digest);
    expect(r.tags).toEqual([`${registry}/fixtures/busybox:latest`]);
    expect(r.events).toContain('Digest: ' + f.digest);
    expect(r.events.filter((e) => e.endsWith('Pull complete'))).toHaveLength(f.layers!.length);

    const host = loadTree('busybox');
    const ours = await s.page.evaluate(async (ref) => T.tree(E, ref), `${registry}/fixtures/busybox:latest`);
    const mine: Record<string, unknown> = {};
    for (const e of ours) {
      mine[e.path] = {
        type: e.type,
        mode: e.mode,
        uid: e.uid,
        gid: e.gid,
        ...(e.type === 'file' ? { size: e.size, sha256: e.sha } : {}),
        ...(e.type === 'symlink' ? { linkTarget: e.linkTarget } : {}),
      };
    }
    expect(Object.keys(mine).sort()).toEqual(Object.keys(host).sort());
    for (const [p, h] of Object.entries(host)) expect(mine[p], p).toEqual(h);
    // The cases the fixture was built to exercise, named so a failure says which rule broke.
    expect(mine['/etc/deleteme.txt']).toBeUndefined();
    expect(Object.keys(mine).filter((p) => p.includes('.wh.'))).toEqual([]);
    expect(Object.keys(host).some((p) => p.length > 100)).toBe(true);
  });

  it('pulls the Docker schema 2 variant of the same image to the same image ID', async () => {
    const r = await pull(`${registry}/fixtures/busybox:docker`);
    expect(r.ok, JSON.stringify(r)).toBe(true);
    if (!r.ok) return;
    expect(r.id).toBe(fixtures.images['fixtures/busybox:docker']!.manifest.config!.digest);
    expect(r.events.some((e) => e.endsWith('Already exists'))).toBe(true);
  });

  it('selects linux/386 and wasi/wasm from an OCI index and a Docker manifest list', async () => {
    for (const tag of ['latest', 'docker']) {
      const idx = fixtures.images[`fixtures/multi:${tag}`]!;
      const wasi = await pull(`${registry}/fixtures/multi:${tag}`, 'wasi/wasm');
      expect(wasi.ok, JSON.stringify(wasi)).toBe(true);
      if (!wasi.ok) return;
      expect(wasi.platform).toMatchObject({ os: 'wasi', architecture: 'wasm' });
      expect(wasi.digest).toBe(idx.digest);
      expect(wasi.digests).toContain(`${registry}/fixtures/multi@${idx.digest}`);
      const x86 = await pull(`${registry}/fixtures/multi:${tag}`, 'linux/386');
      expect(x86.ok && x86.platform).toMatchObject({ os: 'linux', architecture: '386' });
    }
  });

  it('pulls by digest, a wasip1 image and a raw Wasm artifact', async () => {
    const f = fixtures.images['fixtures/hello-wasm:latest']!;
    const byDigest = await pull(`${registry}/fixtures/hello-wasm@${f.digest}`);
    expect(byDigest.ok, JSON.stringify(byDigest)).toBe(true);
    expect(byDigest.ok && byDigest.tags).toEqual([]);
    const p1 = await pull(`${registry}/fixtures/hello-wasm:wasip1`);
    expect(p1.ok && p1.platform).toMatchObject({ os: 'wasip1', architecture: 'wasm' });
    const art = await pull(`${registry}/fixtures/hello-wasm:artifact`);
    expect(art.ok, JSON.stringify(art)).toBe(true);
    const files = await s.page.evaluate(async (ref) => T.tree(E, ref), `${registry}/fixtures/hello-wasm:artifact`);
    const wasm = files.find((e) => e.path === '/app.wasm');
    expect(wasm?.size).toBe(fixtures.images['fixtures/hello-wasm:artifact']!.manifest.layers![0]!.size);
  });

  it('pulls through Bearer-token auth', async () => {
    const r = await pull(`${authRegistry}/fixtures/hello-wasm:latest`);
    expect(r.ok, JSON.stringify(r)).toBe(true);
  });

  it('refuses a platform the index does not have, naming the ones it has', async () => {
    const r = await pull(`${registry}/fixtures/multi:latest`, 'linux/arm64');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.name).toBe('PlatformNotFoundError');
    expect(r.error.message).toContain('linux/386');
  });

  it('unpacks zstd and uncompressed layers', async () => {
    const tar1 = makeTar([{ name: 'z.txt', data: 'zstd layer\n' }]);
    const tar2 = makeTar([{ name: 'plain.txt', data: 'plain layer\n' }]);
    const diff = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
    const img = await pushImage(registry, 'formats/zstd-and-tar', [
      { blob: execFileSync('zstd', ['-q', '-c'], { input: tar1 }), diffId: diff(tar1), mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd' },
      { blob: tar2, diffId: diff(tar2), mediaType: 'application/vnd.oci.image.layer.v1.tar' },
    ]);
    const r = await pull(img.ref);
    expect(r.ok, JSON.stringify(r)).toBe(true);
    const texts = await s.page.evaluate(async (ref) => {
      const t = await T.tree(E, ref);
      return Promise.all(t.filter((e) => e.type === 'file').map(async (e) => `${e.path}=${await T.fileText(E, e.sha!)}`));
    }, img.ref);
    expect(texts).toEqual(['/plain.txt=plain layer\n', '/z.txt=zstd layer\n']);
  });
});

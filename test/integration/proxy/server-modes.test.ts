// The two ways the proxy runs: as Vite middleware (dev and preview servers) and standalone.
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, preview } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registryProxyPlugin } from '../../../proxy/vite-plugin.ts';
import { cleanup, errorCodes, get, type PushedImage, pushImage, tempDir } from '../../support/proxy-helpers.ts';
import { type RunningRegistry, startRegistry } from '../../support/registry.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

let registry: RunningRegistry;
let image: PushedImage;
let site: string;

beforeAll(async () => {
  registry = await startRegistry({ dataDir: await tempDir() });
  image = await pushImage(registry, 'demo/app', 'v1', [1000]);
  site = await tempDir('proxy-site-');
  await writeFile(path.join(site, 'index.html'), '<!doctype html><title>demo</title>');
  await mkdir(path.join(site, 'dist'));
  await writeFile(path.join(site, 'dist', 'index.html'), '<!doctype html><title>built</title>');
});
afterAll(async () => {
  await cleanup();
  await registry.stop();
});

describe('Vite plugin', () => {
  it("serves /v2/ on the dev server, same origin, with loopback registries allowed; other paths stay Vite's", async () => {
    const logs: string[] = [];
    const server = await createServer({
      configFile: false,
      root: site,
      logLevel: 'silent',
      plugins: [registryProxyPlugin({ cacheDir: await tempDir(), log: (l) => logs.push(l) })],
      server: { host: '127.0.0.1', port: 0, hmr: false, ws: false },
    });
    try {
      await server.listen();
      const base = server.resolvedUrls!.local[0]!.replace(/\/$/, '');
      expect((await get(`${base}/v2/`)).body.toString()).toBe('{}');
      const m = await get(`${base}/v2/${registry.host}/demo/app/manifests/v1`);
      expect(m.status).toBe(200);
      expect(m.headers.get('docker-content-digest')).toBe(image.digest);
      // Loopback only: other private addresses stay refused in dev mode too.
      const lan = await get(`${base}/v2/10.0.0.1:5000/demo/app/manifests/v1`);
      expect(lan.status).toBe(403);
      expect(errorCodes(lan.body)).toEqual(['DENIED']);
      expect((await get(`${base}/`)).body.toString()).toContain('<title>demo</title>');
      expect(logs.some((l) => l.includes(`/v2/demo/app/manifests/v1 200`))).toBe(true);
      // The developer's own (loopback) registry takes pushes; others still need pushAllow.
      const upload = await get(`${base}/v2/${registry.host}/demo/pushed/blobs/uploads/`, { method: 'POST' });
      expect(upload.status).toBe(202);
      expect(upload.headers.get('location')).toMatch(new RegExp(`^/v2/${registry.host.replace(/[.:]/g, '\\$&')}/demo/pushed/blobs/uploads/`));
      const hub = await get(`${base}/v2/docker.io/library/x/blobs/uploads/`, { method: 'POST' });
      expect(hub.status).toBe(403);
      expect(JSON.parse(hub.body.toString()).errors[0].message).toContain('pushAllow');
      // /fetch is the proxy's too: refused, as egressAllow names nothing here.
      const fetched = await get(`${base}/fetch?url=${encodeURIComponent(`http://${registry.host}/v2/`)}`);
      expect(fetched.status).toBe(403);
      expect(JSON.parse(fetched.body.toString()).error).toContain('egressAllow');
    } finally {
      await server.close();
    }
  });

  it('serves /v2/ on the preview server', async () => {
    const server = await preview({
      configFile: false,
      root: site,
      logLevel: 'silent',
      plugins: [registryProxyPlugin({ cacheDir: await tempDir(), log: null })],
      preview: { host: '127.0.0.1', port: 0 },
    });
    try {
      const base = server.resolvedUrls!.local[0]!.replace(/\/$/, '');
      const m = await get(`${base}/v2/${registry.host}/demo/app/manifests/${image.digest}`);
      expect(m.status).toBe(200);
      expect(m.body.equals(image.manifest)).toBe(true);
      expect((await get(`${base}/`)).body.toString()).toContain('<title>built</title>');
    } finally {
      await server.close();
    }
  });
});

describe('standalone server (proxy/main.ts)', () => {
  it('starts from PROXY_* variables, serves, logs one line per request and stops on SIGTERM', async () => {
    const cacheDir = await tempDir();
    const child = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['proxy/main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        PROXY_PORT: '0',
        PROXY_ALLOW: registry.host,
        PROXY_ALLOW_PRIVATE: 'loopback',
        PROXY_CACHE_DIR: cacheDir,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      let out = '';
      const base = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`exited with ${code}: ${out}`)));
      });
      expect(out).toContain(`allow: ${registry.host}`);
      const m = await get(`${base}/v2/${registry.host}/demo/app/manifests/v1`);
      expect(m.status).toBe(200);
      expect(m.headers.get('docker-content-digest')).toBe(image.digest);
      expect((await get(`${base}/elsewhere`)).status).toBe(404);
      expect((await get(`${base}/fetch?url=${encodeURIComponent(`http://${registry.host}/v2/`)}`)).status).toBe(403);
      await new Promise((r) => setTimeout(r, 50));
      expect(out).toMatch(new RegExp(`GET http://${registry.host}/v2/demo/app/manifests/v1 200 ${image.manifest.length}B cache=miss \\d+ms`));

      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

// A small WASI image for container tests, built in memory as an OCI archive: /bin/tools.wasm
// (not a real module: the fake nodes interpret argv), /etc/passwd and /etc/group, /data/hello.txt.
import { createHash } from 'node:crypto';
import { writeTar, writeTarEntries } from '../../core/archive/tar-writer.ts';
import type { Engine } from '../../engine/engine.ts';

const enc = new TextEncoder();
const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

const TOOLS_IMAGE = 'test/tools:latest';

function ociArchive(tag: string, layer: Uint8Array, config: object): Uint8Array {
  const configBytes = enc.encode(JSON.stringify(config));
  const manifest = enc.encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(configBytes), size: configBytes.byteLength },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha(layer), size: layer.byteLength }],
    }),
  );
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: sha(manifest),
        size: manifest.byteLength,
        annotations: { 'io.containerd.image.name': `docker.io/${tag}`, 'org.opencontainers.image.ref.name': tag.split(':')[1] },
      },
    ],
  };
  const blob = (b: Uint8Array) => ({ name: `blobs/sha256/${sha(b).slice(7)}`, data: b });
  return writeTar([
    { name: 'oci-layout', data: enc.encode('{"imageLayoutVersion":"1.0.0"}') },
    { name: 'index.json', data: enc.encode(JSON.stringify(index)) },
    blob(configBytes),
    blob(manifest),
    blob(layer),
  ]);
}

/** Loads test/tools:latest (wasi/wasm, or another platform) into the engine. */
export async function loadToolsImage(engine: Engine, tag = TOOLS_IMAGE, platform = { os: 'wasi', architecture: 'wasm' }): Promise<void> {
  const layer = writeTarEntries([
    { name: 'bin', type: 'dir' },
    { name: 'bin/tools.wasm', type: 'file', mode: 0o755, data: enc.encode('\0asm\x01\0\0\0') },
    { name: 'etc', type: 'dir' },
    { name: 'etc/passwd', type: 'file', data: enc.encode('root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n') },
    { name: 'etc/group', type: 'file', data: enc.encode('root:x:0:\nstaff:x:50:\n') },
    { name: 'data', type: 'dir' },
    { name: 'data/hello.txt', type: 'file', data: enc.encode('hello from the image\n') },
    { name: 'data/sub', type: 'dir' },
    { name: 'data/sub/a.txt', type: 'file', data: enc.encode('a\n') },
    { name: 'tmp', type: 'dir', mode: 0o1777 },
  ]);
  const config = {
    created: '2000-01-01T00:00:00Z',
    architecture: platform.architecture,
    os: platform.os,
    config: { Env: ['PATH=/bin'], Entrypoint: ['tools.wasm'], Cmd: ['echo', 'hello'], WorkingDir: '/', Labels: { 'org.example.image': 'tools' } },
    rootfs: { type: 'layers', diff_ids: [sha(layer)] },
    history: [{ created: '2000-01-01T00:00:00Z', created_by: 'test tools' }],
  };
  await engine.images.load(ociArchive(tag, layer, config));
}

// Writes a `ruby` WASI image, made from the npm package @ruby/3.4-wasm-wasi, as an OCI image
// layout (one of the demo's built-in images). Idempotent: unchanged input leaves it as is.
//   npx tsx scripts/images/build-ruby-image.ts demo/public/images/ruby
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeTarEntries } from '../../core/archive/tar-writer.ts';

const layout = process.argv[2];
if (!layout) {
  console.error('usage: build-ruby-image.ts <oci-layout-dir>');
  process.exit(2);
}
mkdirSync(path.join(layout, 'blobs', 'sha256'), { recursive: true });
if (!existsSync(path.join(layout, 'index.json'))) {
  writeFileSync(path.join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(path.join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] }));
}
// The package's exports map hides package.json and the .wasm files: read them from node_modules.
const pkgDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../node_modules/@ruby/3.4-wasm-wasi');
const version = (JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { version: string }).version;
const wasm = readFileSync(path.join(pkgDir, 'dist', 'ruby+stdlib.wasm'));

const EPOCH = 946684800; // fixed times give reproducible digests
const CREATED = '2000-01-01T00:00:00Z';
const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const writeBlob = (b: Uint8Array) => {
  const d = sha(b);
  const file = path.join(layout, 'blobs', 'sha256', d.slice(7));
  if (!existsSync(file)) writeFileSync(file, b);
  return { digest: d, size: b.byteLength };
};

const indexPath = path.join(layout, 'index.json');
const index = JSON.parse(readFileSync(indexPath, 'utf8')) as { manifests: { annotations?: Record<string, string>; digest: string }[] };
const stampKey = `${sha(wasm)} ${version}`;
const existing = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === 'ruby');
if (existing?.annotations?.['org.example.ruby.input'] === stampKey) process.exit(0);

const tar = writeTarEntries([
  { name: 'usr', type: 'dir', mtime: EPOCH },
  { name: 'usr/local', type: 'dir', mtime: EPOCH },
  { name: 'usr/local/bin', type: 'dir', mtime: EPOCH },
  { name: 'usr/local/bin/ruby.wasm', type: 'file', mode: 0o755, mtime: EPOCH, data: wasm },
]);
const layer = writeBlob(gzipSync(tar, { level: 6 }));
const config = writeBlob(
  Buffer.from(
    JSON.stringify({
      created: CREATED,
      architecture: 'wasm',
      os: 'wasi',
      config: {
        Env: ['PATH=/usr/local/bin:/usr/bin:/bin'],
        Entrypoint: ['ruby'],
        Labels: { 'org.opencontainers.image.title': 'ruby', 'org.opencontainers.image.version': `3.4 (@ruby/3.4-wasm-wasi ${version})` },
      },
      rootfs: { type: 'layers', diff_ids: [sha(tar)] },
      history: [{ created: CREATED, created_by: `COPY ruby+stdlib.wasm (npm @ruby/3.4-wasm-wasi@${version}) /usr/local/bin/ruby.wasm` }],
    }),
  ),
);
const manifest = writeBlob(
  Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
    }),
  ),
);
index.manifests = index.manifests.filter((m) => m !== existing);
index.manifests.push({
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  ...manifest,
  platform: { os: 'wasi', architecture: 'wasm' },
  annotations: { 'org.opencontainers.image.ref.name': 'ruby', 'org.example.ruby.input': stampKey },
} as (typeof index.manifests)[number]);
writeFileSync(indexPath, JSON.stringify(index, null, 2));
console.error(`[images] ruby (${(layer.size / 1e6).toFixed(1)} MB layer) written to ${layout}`);

// Manifests, image configs and `docker save`'s manifest.json: regressions found by fuzzing
// (test/unit/fuzz/), each the minimal counterexample, now a typed ManifestInvalidError instead of
// a RangeError or TypeError.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { writeTar } from '../../core/archive/tar-writer.ts';
import { ManifestInvalidError } from '../../core/errors.ts';
import { parseImageConfig, parseManifest } from '../../core/oci/manifest.ts';
import { ContentStore } from '../../core/store/content-store.ts';
import { openEngineDb } from '../../core/store/db.ts';
import { SnapshotStore } from '../../core/store/snapshot-store.ts';
import { EventBus } from '../../engine/events.ts';
import { ImageService } from '../../engine/images/image-service.ts';
import { RegistryClient } from '../../engine/registry/client.ts';
import { RwLock } from '../../engine/rw-lock.ts';

const bytes = (s: string) => new TextEncoder().encode(s);
const D = `sha256:${'a'.repeat(64)}`;

describe('parseManifest', () => {
  it('refuses JSON nested deeper than 100 levels (an error message serialising it overflowed the stack)', () => {
    const deep = `${'['.repeat(100_000)}1${']'.repeat(100_000)}`;
    expect(() => parseManifest(bytes(`{"schemaVersion":${deep}}`))).toThrow(/manifest nests deeper than 100 levels/);
  });

  it('refuses a descriptor whose platform is not an os/architecture object', () => {
    const index = (platform: string) => bytes(`{"schemaVersion":2,"manifests":[{"mediaType":"x","digest":"${D}","size":1,"platform":${platform}}]}`);
    for (const p of ['null', '"linux/386"', '{"os":"linux"}', '{"os":5,"architecture":"386"}'])
      expect(() => parseManifest(index(p))).toThrow(/invalid platform/);
    expect(parseManifest(index('{"os":"linux","architecture":"386"}')).kind).toBe('index');
  });
});

describe('parseImageConfig', () => {
  const config = (cc: string) => bytes(`{"architecture":"386","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":${cc}}`);

  it('refuses JSON nested deeper than 100 levels, which storing the image would overflow the stack on', () => {
    const deep = (n: number) => `${'['.repeat(n)}1${']'.repeat(n)}`;
    expect(() => parseImageConfig(config(`{"x":${deep(100_000)}}`))).toThrow(/nests deeper than 100 levels/);
    expect(parseImageConfig(config(`{"x":${deep(98)},"y":"${'['.repeat(200)}"}`)).os).toBe('linux');
  });

  it('refuses runtime fields of the wrong type, which `docker run` would trip over later', () => {
    for (const cc of ['""', '[]', '{"Entrypoint":5}', '{"Cmd":"sh"}', '{"Env":[1]}', '{"User":0}', '{"ExposedPorts":[]}', '{"Labels":{"a":1}}']) {
      expect(() => parseImageConfig(config(cc)), cc).toThrow(ManifestInvalidError);
    }
    expect(parseImageConfig(config('{"Entrypoint":null,"Cmd":["sh"],"Labels":null,"Env":["A=1"]}')).config?.Cmd).toEqual(['sh']);
    expect(parseImageConfig(config('null')).os).toBe('linux');
  });
});

describe('docker load', () => {
  it('refuses a manifest.json of the wrong shape with a ManifestInvalidError', async () => {
    const db = await openEngineDb(`manifest-test-${process.pid}`);
    const content = new ContentStore(db);
    const deps = { db, client: new RegistryClient(), content, snapshots: new SnapshotStore(db), limits: { maxLayerBytes: 1 << 20 } };
    const images = new ImageService(db, deps, content, new EventBus(), new RwLock());
    for (const m of ['{}', '[{"Config":"c","RepoTags":false,"Layers":[]}]', '[{"Config":"c","Layers":"l"}]', '[null]', '[{"Config":1,"Layers":[]}]']) {
      await expect(images.load(writeTar([{ name: 'manifest.json', data: bytes(m) }])), m).rejects.toThrow(/invalid manifest.json/);
    }
    db.close();
  });
});

// Properties of the OCI formats a registry or an archive hands us: manifests and indexes, image
// configs, references and digests.
import fc from 'fast-check';
import { DigestMismatchError, InvalidParameterError, InvalidReferenceError, ManifestInvalidError, UnsupportedMediaTypeError } from '../../../core/errors.ts';
import { type Digest, digestHex, isDigest, sha256Of, shortId, verifyBytes } from '../../../core/oci/digest.ts';
import { type Descriptor, parseImageConfig, parseManifest } from '../../../core/oci/manifest.ts';
import { MediaType } from '../../../core/oci/media-types.ts';
import { DOCKER_HUB, familiarTagged, formatReference, isNameTooLong, isRepositoryPath, isTag, parseReference } from '../../../core/oci/reference.ts';
import { brief, ensure, type FuzzProperty, fuzzProperty, typedOutcome } from './fuzz-property.ts';
import { byteMutationArb, jsonMutationArb, mutateBytes, mutatedJsonBytes } from './mutations.ts';

const hexArb = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });
const digestArb = fc.oneof(
  hexArb(64).map((h) => `sha256:${h}`),
  hexArb(128).map((h) => `sha512:${h}`),
) as fc.Arbitrary<Digest>;

const platformArb = fc.record(
  { os: fc.constantFrom('linux', 'wasi', 'wasip1', 'unknown'), architecture: fc.constantFrom('386', 'amd64', 'wasm'), variant: fc.constantFrom('v7', 'v8') },
  { requiredKeys: ['os', 'architecture'] },
);

const descriptorArb = (mediaTypes: readonly string[], withPlatform: boolean) =>
  fc.record(
    {
      mediaType: fc.constantFrom(...mediaTypes),
      digest: digestArb,
      size: fc.nat(),
      annotations: fc.dictionary(fc.constantFrom('org.opencontainers.image.ref.name', 'io.containerd.image.name', 'x'), fc.constantFrom('alpine:3', 'x', '')),
      ...(withPlatform ? { platform: platformArb } : {}),
    },
    { requiredKeys: ['mediaType', 'digest', 'size'] },
  );

const LAYER_TYPES = [MediaType.OciLayerGzip, MediaType.DockerLayerGzip, MediaType.OciLayerZstd, MediaType.OciLayer, MediaType.WasmLayer];

/** A valid index or manifest, and how it arrives: its Content-Type (maybe missing or unrelated). */
const manifestDocArb = fc.oneof(
  fc.record({
    schemaVersion: fc.constant(2),
    mediaType: fc.constantFrom(MediaType.OciIndex, MediaType.DockerManifestList),
    manifests: fc.array(descriptorArb([MediaType.OciManifest, MediaType.DockerManifest], true), { maxLength: 4 }),
  }),
  fc.record({
    schemaVersion: fc.constant(2),
    mediaType: fc.constantFrom(MediaType.OciManifest, MediaType.DockerManifest),
    config: descriptorArb([MediaType.OciConfig, MediaType.DockerConfig, MediaType.WasmConfig], false),
    layers: fc.array(descriptorArb(LAYER_TYPES, false), { maxLength: 4 }),
  }),
);
const contentTypeArb = fc.option(fc.constantFrom(MediaType.OciIndex, MediaType.OciManifest, MediaType.DockerManifest, 'application/json', 'text/html'), {
  nil: undefined,
});

function checkDescriptor(d: Descriptor, where: string): void {
  ensure(typeof d === 'object' && d !== null, `${where}: not an object`);
  ensure(typeof d.mediaType === 'string' && d.mediaType !== '', `${where}: mediaType ${brief(d.mediaType)}`);
  ensure(typeof d.digest === 'string' && isDigest(d.digest), `${where}: digest ${brief(d.digest)}`);
  ensure(Number.isSafeInteger(d.size) && d.size >= 0, `${where}: size ${d.size}`);
  if (d.platform !== undefined) {
    const p = d.platform as unknown as Record<string, unknown> | null;
    ensure(typeof p === 'object' && p !== null && typeof p.os === 'string' && typeof p.architecture === 'string', `${where}: platform ${brief(p)}`);
  }
}

const manifest = fuzzProperty(
  'oci-manifest',
  fc.record({ doc: manifestDocArb, mutation: jsonMutationArb, contentType: contentTypeArb }),
  async ({ doc, mutation, contentType }) => {
    const bytes = mutatedJsonBytes(doc, mutation);
    const parsed = await typedOutcome([ManifestInvalidError, UnsupportedMediaTypeError], () => parseManifest(bytes, contentType));
    if (!parsed) return;
    if (parsed.kind === 'index') {
      ensure(Array.isArray(parsed.index.manifests), 'index without a manifests array');
      parsed.index.manifests.forEach((d, i) => checkDescriptor(d, `manifests[${i}]`));
    } else {
      ensure(Array.isArray(parsed.manifest.layers), 'manifest without a layers array');
      checkDescriptor(parsed.manifest.config, 'config');
      parsed.manifest.layers.forEach((d, i) => checkDescriptor(d, `layers[${i}]`));
    }
  },
  150,
);

const configDocArb = fc.record(
  {
    architecture: fc.constantFrom('386', 'amd64', 'wasm'),
    os: fc.constantFrom('linux', 'wasip1'),
    rootfs: fc.record({ type: fc.constant('layers'), diff_ids: fc.array(digestArb, { maxLength: 3 }) }),
    config: fc.record(
      {
        User: fc.constantFrom('', 'root', '1000:1000'),
        Env: fc.array(fc.constantFrom('PATH=/bin', 'A=1', 'B'), { maxLength: 3 }),
        Entrypoint: fc.option(fc.array(fc.constantFrom('/bin/sh', '-c'), { maxLength: 2 }), { nil: null }),
        Cmd: fc.option(fc.array(fc.constantFrom('sh', 'echo hi'), { maxLength: 2 }), { nil: null }),
        WorkingDir: fc.constantFrom('', '/', '/app'),
        ExposedPorts: fc.dictionary(fc.constantFrom('80/tcp', '53/udp'), fc.constant({})),
        Labels: fc.option(fc.dictionary(fc.constantFrom('a', 'b'), fc.constantFrom('1', '')), { nil: null }),
      },
      { requiredKeys: [] },
    ),
    history: fc.array(fc.record({ created_by: fc.constantFrom('RUN x', ''), empty_layer: fc.boolean() }), { maxLength: 2 }),
  },
  { requiredKeys: ['architecture', 'os', 'rootfs'] },
);

const isStrings = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string');
const isStringMap = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((s) => typeof s === 'string');
const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);

const imageConfig = fuzzProperty(
  'image-config',
  fc.record({ doc: configDocArb, mutation: jsonMutationArb }),
  async ({ doc, mutation }) => {
    const bytes = mutatedJsonBytes(doc, mutation);
    const c = await typedOutcome([ManifestInvalidError], () => parseImageConfig(bytes));
    if (!c) return;
    ensure(typeof c.os === 'string' && typeof c.architecture === 'string', 'os/architecture not strings');
    ensure(Array.isArray(c.rootfs.diff_ids) && c.rootfs.diff_ids.every((d) => typeof d === 'string' && isDigest(d)), 'diff_ids not digests');
    // What `docker run` takes from the config: wrong types here would fail later, far from the cause.
    const cc = c.config as Record<string, unknown> | null | undefined;
    if (cc === undefined || cc === null) return;
    ensure(isObject(cc), `config is ${brief(cc)}`);
    for (const k of ['User', 'WorkingDir', 'StopSignal']) ensure(cc[k] === undefined || typeof cc[k] === 'string', `config.${k} is ${brief(cc[k])}`);
    for (const k of ['Env', 'Entrypoint', 'Cmd']) ensure(cc[k] == null || isStrings(cc[k]), `config.${k} is ${brief(cc[k])}`);
    for (const k of ['ExposedPorts', 'Volumes']) ensure(cc[k] == null || isObject(cc[k]), `config.${k} is ${brief(cc[k])}`);
    ensure(cc.Labels == null || isStringMap(cc.Labels), `config.Labels is ${brief(cc.Labels)}`);
  },
  150,
);

/** Valid references of every shape, then small edits: characters inserted, dropped or doubled. */
const validRefArb = fc
  .record({
    registry: fc.constantFrom(
      '',
      'docker.io/',
      'index.docker.io/',
      'ghcr.io/',
      'localhost/',
      'localhost:5000/',
      '127.0.0.1:5000/',
      '[::1]:5000/',
      'Reg.IO/',
      'a-b.c:1/',
    ),
    path: fc.array(fc.constantFrom('alpine', 'library', 'my_app', 'a.b', 'a__b', 'x-y--z', 'ns'), { minLength: 1, maxLength: 3 }),
    tag: fc.option(fc.constantFrom('latest', '3.19', 'v1_2-rc.1', 'A', 'x'.repeat(128)), { nil: undefined }),
    digest: fc.option(digestArb, { nil: undefined }),
  })
  .map((r) => `${r.registry}${r.path.join('/')}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`);
const refEditArb = fc.record({ at: fc.nat(), kind: fc.constantFrom('insert', 'delete', 'double'), c: fc.constantFrom(...'/:@._-Aa0 \t\u00e9[]') });
const refArb = fc.oneof(
  fc.tuple(validRefArb, fc.array(refEditArb, { maxLength: 3 })).map(([s, edits]) =>
    edits.reduce((acc, e) => {
      const i = e.at % (acc.length + 1);
      if (e.kind === 'insert') return acc.slice(0, i) + e.c + acc.slice(i);
      if (e.kind === 'delete') return acc.slice(0, i) + acc.slice(i + 1);
      return acc.slice(0, i) + acc.slice(i, i + 1).repeat(2) + acc.slice(i + 1);
    }, s),
  ),
  fc.constantFrom('a'.repeat(300), `${'a/'.repeat(130)}b`, '@', ':', '/', 'a@', 'a:', 'a/', '/a', 'a//b', 'a@sha256:'),
  fc.string({ maxLength: 40 }),
);

const reference = fuzzProperty(
  'reference',
  refArb,
  async (s) => {
    const r = await typedOutcome([InvalidReferenceError], () => parseReference(s));
    if (!r) return;
    ensure(isRepositoryPath(r.repository) && !isNameTooLong(r.registry, r.repository), `repository ${r.repository}`);
    ensure(r.tag === undefined || isTag(r.tag), `tag ${r.tag}`);
    ensure(r.digest === undefined || isDigest(r.digest), `digest ${r.digest}`);
    ensure(r.tag !== undefined || r.digest !== undefined, 'neither tag nor digest');
    // The canonical form names the same image; the familiar form the same repository and tag,
    // except for a Docker Hub repository whose first component looks like a registry
    // (`docker.io/a.b/c`), which Docker's familiar form gets wrong the same way.
    const again = await typedOutcome([], () => parseReference(formatReference(r)));
    ensure(JSON.stringify(again) === JSON.stringify(r), `${formatReference(r)} re-parses as ${JSON.stringify(again)}, not ${JSON.stringify(r)}`);
    const first = r.repository.split('/')[0]!;
    if (r.registry === DOCKER_HUB && (first.includes('.') || first.includes(':') || first === 'localhost')) return;
    const familiar = await typedOutcome([], () => parseReference(familiarTagged(r)));
    ensure(
      familiar?.registry === r.registry && familiar.repository === r.repository && (r.tag === undefined || familiar.tag === r.tag),
      `${familiarTagged(r)} re-parses as ${JSON.stringify(familiar)}, not ${JSON.stringify(r)}`,
    );
  },
  500,
);

const digest = fuzzProperty(
  'digest',
  fc.record({ bytes: fc.uint8Array({ maxLength: 64 }), claimed: fc.oneof(digestArb, fc.string({ maxLength: 80 })), mutation: byteMutationArb }),
  async ({ bytes, claimed, mutation }) => {
    if (isDigest(claimed)) {
      ensure(/^[a-f0-9]+$/.test(digestHex(claimed)) && shortId(claimed).length === 12, `hex of ${claimed}`);
      await typedOutcome([InvalidParameterError, DigestMismatchError], () => verifyBytes(bytes, claimed, 'fuzz'));
    }
    const actual = await sha256Of(bytes);
    await verifyBytes(bytes, actual, 'fuzz');
    const other = mutateBytes(bytes, mutation);
    const verdict = await typedOutcome([DigestMismatchError], async () => {
      await verifyBytes(other, actual, 'fuzz');
      return 'accepted';
    });
    const same = other.length === bytes.length && other.every((b, i) => b === bytes[i]);
    ensure((verdict === 'accepted') === same, `changed bytes ${same ? 'refused' : 'accepted'} under ${actual}`);
  },
  150,
);

export const ociProperties: readonly FuzzProperty[] = [manifest, imageConfig, reference, digest];

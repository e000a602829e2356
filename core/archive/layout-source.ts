import { NotFoundError } from '../errors.ts';
import { type Digest, digestHex } from '../oci/digest.ts';
import { iterate } from '../unpack/streams.ts';
import { readTar } from '../unpack/tar-reader.ts';

/** Files of an image archive or OCI image layout, wherever they are. */
export interface LayoutSource {
  /** Where the files are, for messages. */
  readonly describe: string;
  /** A whole file, or undefined when the archive has no such file. */
  file(path: string): Promise<Uint8Array | undefined>;
  /** A (possibly large) file as a stream. */
  stream(path: string): AsyncIterable<Uint8Array>;
}

export function blobPath(d: Digest): string {
  return `blobs/${d.slice(0, d.indexOf(':'))}/${digestHex(d)}`;
}

/** An archive (`docker save` or OCI layout tarball) read into memory. */
export async function tarSource(bytes: AsyncIterable<Uint8Array>): Promise<LayoutSource> {
  const files = new Map<string, Uint8Array>();
  for await (const { header, body } of readTar(bytes)) {
    if (header.type !== 'file') continue;
    const data = new Uint8Array(header.size);
    let at = 0;
    for await (const piece of body) {
      data.set(piece, at);
      at += piece.byteLength;
    }
    files.set(header.name.replace(/^\.\//, ''), data);
  }
  return {
    describe: 'the archive',
    file: async (p) => files.get(p),
    stream: async function* (p) {
      const f = files.get(p);
      if (!f) throw new NotFoundError(`archive has no ${p}`);
      yield f;
    },
  };
}

/** An OCI image layout served over plain HTTP (static hosting, offline demos). */
export function httpSource(baseUrl: string, fetchImpl: typeof fetch = (...a) => fetch(...a)): LayoutSource {
  const base = baseUrl.replace(/\/?$/, '/');
  return {
    describe: base,
    async file(p) {
      const res = await fetchImpl(base + p);
      if (res.status === 404) return undefined;
      if (!res.ok) throw new NotFoundError(`${base + p}: HTTP ${res.status}`);
      return new Uint8Array(await res.arrayBuffer());
    },
    stream: async function* (p) {
      const res = await fetchImpl(base + p);
      if (!res.ok || !res.body) throw new NotFoundError(`${base + p}: HTTP ${res.status}`);
      yield* iterate(res.body);
    },
  };
}

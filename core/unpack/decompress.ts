import { Decompress as ZstdDecompress } from 'fzstd';
import { concatBytes } from '../concat-bytes.ts';
import { DecompressionLimitError, EngineError, LayerFormatError } from '../errors.ts';
import type { LayerCompression } from '../oci/media-types.ts';
import { fromAsyncIterable, iterate } from './streams.ts';

/**
 * Decompresses a layer blob. gzip uses the browser's native DecompressionStream (several
 * times faster than JS inflaters); zstd, which browsers do not all decode, uses fzstd.
 * Output past `maxBytes` stops the unpack: a small blob may claim gigabytes (a bomb).
 */
export async function* decompress(
  source: AsyncIterable<Uint8Array>,
  compression: Exclude<LayerCompression, 'wasm'>,
  maxBytes: number,
): AsyncGenerator<Uint8Array> {
  let total = 0;
  const limited = (chunk: Uint8Array): Uint8Array => {
    total += chunk.byteLength;
    if (total > maxBytes) {
      throw new DecompressionLimitError(`layer expands to more than ${maxBytes} bytes; unpack stopped (decompression bomb?)`);
    }
    return chunk;
  };
  if (compression === 'none') {
    for await (const c of source) yield limited(c);
    return;
  }
  if (compression === 'zstd') {
    for await (const c of zstdChunks(source)) yield limited(c);
    return;
  }
  const out = fromAsyncIterable(source).pipeThrough(new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>);
  try {
    for await (const c of iterate(out)) yield limited(c);
  } catch (e) {
    // Errors of the source (registry, abort) pass through the pipe unchanged; anything else
    // is the inflater's (TypeError in browsers, a zlib Error in Node).
    if (e instanceof EngineError || (e instanceof DOMException && e.name === 'AbortError')) throw e;
    throw new LayerFormatError(`corrupt or truncated gzip layer: ${(e as Error).message}`, { cause: e });
  }
}

async function* zstdChunks(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let out: Uint8Array[] = [];
  const d = new ZstdDecompress((chunk) => out.push(chunk));
  const drain = function* () {
    const o = out;
    out = [];
    yield* o;
  };
  try {
    for await (const c of source) {
      d.push(c);
      yield* drain();
    }
    d.push(new Uint8Array(0), true);
    yield* drain();
  } catch (e) {
    if (e instanceof EngineError || (e instanceof DOMException && e.name === 'AbortError')) throw e;
    throw new LayerFormatError(`corrupt or truncated zstd layer: ${(e as Error).message}`, { cause: e });
  }
}

/** What an archive inflated in memory may grow to: past it, a small blob is a bomb. */
const IN_MEMORY_LIMIT = 1024 ** 3;

/** A whole gzip blob in memory, inflated with decompress's limit (an ADD'ed archive, an imported tarball). */
export async function gunzipAll(bytes: Uint8Array, maxBytes = IN_MEMORY_LIMIT): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of decompress(
    (async function* () {
      yield bytes;
    })(),
    'gzip',
    maxBytes,
  ))
    parts.push(c);
  return concatBytes(parts);
}

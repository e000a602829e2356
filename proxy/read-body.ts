import type { Readable } from 'node:stream';

/** Thrown when a body is longer than the caller is willing to hold in memory. */
export class BodyTooLargeError extends Error {}

/** Reads a small body (manifest, token, error JSON) whole, giving up past `max` bytes. */
export async function readBody(stream: Readable, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      stream.destroy();
      throw new BodyTooLargeError(`body exceeds ${max} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

// `--memory`: a module defines its own memory, so the cap is written into the module: the
// memory section's maximum becomes the limit, and memory.grow beyond it fails (malloc returns
// NULL) instead of taking the tab's memory.
const PAGE = 65536;

export class InitialMemoryTooLarge extends Error {}

function readU32(b: Uint8Array, at: number): [value: number, next: number] {
  let v = 0;
  let shift = 0;
  for (;;) {
    const byte = b[at++];
    if (byte === undefined) throw new Error('truncated LEB128');
    v += (byte & 0x7f) * 2 ** shift;
    if (!(byte & 0x80)) return [v, at];
    shift += 7;
  }
}

function u32(v: number): number[] {
  const out: number[] = [];
  do {
    let byte = v % 128;
    v = Math.floor(v / 128);
    if (v) byte |= 0x80;
    out.push(byte);
  } while (v);
  return out;
}

/** Pages the limit allows (at least one). */
export function limitPages(limitBytes: number): number {
  return Math.max(1, Math.floor(limitBytes / PAGE));
}

/**
 * The module bytes with every 32-bit memory's maximum lowered to `maxPages`. Throws
 * InitialMemoryTooLarge when a memory starts larger than that. Bytes that are not a module
 * come back unchanged (compiling them reports the error).
 */
export function capMemory(bytes: Uint8Array, maxPages: number): Uint8Array {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) return bytes;
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at]!;
    const [size, body] = readU32(bytes, at + 1);
    const end = body + size;
    if (id !== 5) {
      at = end;
      continue;
    }
    let [count, p] = readU32(bytes, body);
    const out: number[] = u32(count);
    for (; count > 0; count--) {
      const flags = bytes[p++]!;
      let min: number;
      let max: number | undefined;
      [min, p] = readU32(bytes, p);
      if (flags & 1) [max, p] = readU32(bytes, p);
      if (flags & 4) {
        // memory64: limits are u64 and beyond what a browser maps anyway; left as it is.
        out.push(flags, ...u32(min), ...(max !== undefined ? u32(max) : []));
        continue;
      }
      if (min > maxPages) throw new InitialMemoryTooLarge(`the module needs ${min * PAGE} bytes of memory at start`);
      out.push(flags | 1, ...u32(min), ...u32(Math.min(max ?? maxPages, maxPages)));
    }
    const section = [5, ...u32(out.length), ...out];
    const result = new Uint8Array(at + section.length + (bytes.length - end));
    result.set(bytes.subarray(0, at));
    result.set(section, at);
    result.set(bytes.subarray(end), at + section.length);
    return result;
  }
  return bytes;
}

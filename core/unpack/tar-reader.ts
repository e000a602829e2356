import { LayerFormatError } from '../errors.ts';
import { StreamReader } from './stream-reader.ts';

export type TarType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo';

export interface TarHeader {
  /** The name as stored (not yet normalised). */
  readonly name: string;
  readonly type: TarType;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly mtime: number;
  readonly linkName: string;
  readonly devMajor: number;
  readonly devMinor: number;
}

export interface TarEntry {
  readonly header: TarHeader;
  /** The entry's contents; must be consumed (or left, the reader skips it) before the next entry. */
  readonly body: AsyncIterable<Uint8Array>;
}

const BLOCK = 512;
const dec = new TextDecoder();

function cstr(b: Uint8Array, off: number, len: number): string {
  const f = b.subarray(off, off + len);
  const z = f.indexOf(0);
  return dec.decode(z >= 0 ? f.subarray(0, z) : f);
}

/** Octal, or GNU base-256 for values too large for the octal field. */
function num(b: Uint8Array, off: number, len: number): number {
  const f = b.subarray(off, off + len);
  if (f[0]! & 0x80) {
    let v = f[0]! & 0x7f;
    for (let i = 1; i < f.length; i++) v = v * 256 + f[i]!;
    if (!Number.isSafeInteger(v)) throw new LayerFormatError('number in tar header out of range');
    return v;
  }
  const s = cstr(b, off, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new LayerFormatError(`invalid number in tar header: ${JSON.stringify(s)}`);
  return parseInt(s, 8);
}

function checksumOk(h: Uint8Array): boolean {
  let stored: number;
  try {
    stored = num(h, 148, 8);
  } catch {
    return false;
  }
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
  return sum === stored;
}

function isZero(h: Uint8Array): boolean {
  for (let i = 0; i < h.length; i++) if (h[i] !== 0) return false;
  return true;
}

/** PAX records: "<len> <key>=<value>\n", len counting the whole record in bytes. */
function parsePax(data: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < data.length) {
    let sp = i;
    while (sp < data.length && data[sp] !== 0x20) sp++;
    const len = parseInt(dec.decode(data.subarray(i, sp)), 10);
    if (!Number.isFinite(len) || len <= 0 || i + len > data.length) {
      throw new LayerFormatError('invalid pax extended header');
    }
    const rec = dec.decode(data.subarray(sp + 1, i + len - 1));
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
  return out;
}

/** A numeric PAX record (decimal; mtime may have a fraction), or undefined when absent. */
function paxNumber(ext: Record<string, string>, key: 'size' | 'uid' | 'gid' | 'mtime'): number | undefined {
  const v = ext[key];
  if (v === undefined) return undefined;
  const n = Math.floor(Number(v));
  if (!(key === 'mtime' ? /^-?\d+(\.\d+)?$/ : /^\d+$/).test(v) || !Number.isSafeInteger(n)) {
    throw new LayerFormatError(`invalid pax ${key} ${JSON.stringify(v)}`);
  }
  return n;
}

const TYPES: Record<string, TarType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'dir',
  '6': 'fifo',
};

/**
 * Streaming tar reader: ustar (with prefix), PAX (local and global headers) and GNU long
 * names/links. A missing end-of-archive trailer is accepted (umoci 0.4.7 writes such tars);
 * a stream cut inside an entry is a LayerFormatError.
 */
export async function* readTar(source: AsyncIterable<Uint8Array>): AsyncGenerator<TarEntry> {
  const r = new StreamReader(source[Symbol.asyncIterator]());
  let globalPax: Record<string, string> = {};
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  for (;;) {
    const h = await r.readExact(BLOCK);
    if (h === null) return;
    if (isZero(h)) return;
    if (!checksumOk(h)) throw new LayerFormatError('invalid tar header checksum (not a tar archive, or corrupt)');
    const flag = String.fromCharCode(h[156]!);
    const size = num(h, 124, 12);
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      if (size > 1 << 20) throw new LayerFormatError(`tar extended header too large (${size} bytes)`);
      const data = (await r.readExact(padded)) ?? new Uint8Array(0);
      const body = data.subarray(0, size);
      if (flag === 'x') pax = { ...pax, ...parsePax(body) };
      else if (flag === 'g') globalPax = { ...globalPax, ...parsePax(body) };
      else if (flag === 'L') longName = cstr(body, 0, body.length);
      else longLink = cstr(body, 0, body.length);
      continue;
    }
    const type = TYPES[flag];
    const ext = { ...globalPax, ...pax };
    const magic = cstr(h, 257, 6);
    const prefix = magic.startsWith('ustar') ? cstr(h, 345, 155) : '';
    const rawName = cstr(h, 0, 100);
    const name = ext.path ?? longName ?? (prefix ? `${prefix}/${rawName}` : rawName);
    const linkName = ext.linkpath ?? longLink ?? cstr(h, 157, 100);
    const realSize = paxNumber(ext, 'size') ?? size;
    pax = {};
    longName = undefined;
    longLink = undefined;
    if (type === undefined) {
      // Sparse ('S') and vendor entry kinds would be applied wrongly if guessed at: refuse the layer.
      throw new LayerFormatError(`unsupported tar entry type ${JSON.stringify(flag)} for ${name}`);
    }
    const bodySize = type === 'file' ? realSize : 0;
    const header: TarHeader = {
      name,
      type,
      mode: num(h, 100, 8) & 0o7777,
      uid: paxNumber(ext, 'uid') ?? num(h, 108, 8),
      gid: paxNumber(ext, 'gid') ?? num(h, 116, 8),
      size: bodySize,
      mtime: paxNumber(ext, 'mtime') ?? num(h, 136, 12),
      linkName,
      devMajor: num(h, 329, 8),
      devMinor: num(h, 337, 8),
    };
    let consumed = 0;
    const body = (async function* () {
      for await (const piece of r.span(bodySize)) {
        consumed += piece.byteLength;
        yield piece;
      }
    })();
    yield { header, body };
    // Skip whatever the consumer left, plus padding to the block boundary.
    await r.skip(bodySize - consumed + (Math.ceil(realSize / BLOCK) * BLOCK - realSize) + (realSize - bodySize));
  }
}

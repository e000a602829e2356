// Near-valid tar archives: well-formed headers (right checksums) around hostile content — names
// with `..` or a leading `/`, links out of the root, whiteouts, odd numeric fields, PAX and GNU
// records with bad values — then, sometimes, bytes flipped (checksums fixed again or not) or the
// archive cut short.
import fc from 'fast-check';
import { type ByteMutation, byteMutationArb, mutateBytes } from './mutations.ts';

const BLOCK = 512;
const enc = new TextEncoder();

/** A numeric header field as raw bytes, or a number written in octal. */
type NumField = number | Uint8Array;

interface TarEntrySpec {
  readonly name: string;
  /** The typeflag byte: the known kinds and a few the reader must refuse. */
  readonly flag: string;
  readonly linkName: string;
  readonly data: Uint8Array;
  /** Size written in the header instead of the data's. */
  readonly size: NumField | undefined;
  readonly mode: NumField;
  readonly uid: NumField;
  readonly mtime: NumField;
  /** PAX records (`x` header) before the entry: raw text, or key/values written correctly. */
  readonly pax: string | Readonly<Record<string, string>> | undefined;
  /** A GNU long name (`L`) or long link (`K`) record before the entry. */
  readonly gnu: { readonly flag: 'L' | 'K'; readonly value: string } | undefined;
}

export interface TarSpec {
  readonly entries: readonly TarEntrySpec[];
  readonly trailer: boolean;
  readonly bytes: ByteMutation | undefined;
  /** After byte edits, recompute the header checksums, so the edits reach the fields behind them. */
  readonly fixChecksums: boolean;
}

const segment = fc.constantFrom('a', 'b', 'etc', 'usr', '..', '.', '', '.wh.a', '.wh..wh..opq', '.wh.', 'x y', 'é', 'ü'.repeat(40));
const tarNameArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('etc/passwd', './a', 'a/b/', '../x', '/abs/file', 'a/../../b', '.', '', '//', 'a//b', `${'d/'.repeat(60)}f`, 'bin/sh'),
  fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => s.join('/')),
);
const linkArb = fc.oneof(tarNameArb, fc.constantFrom('/etc/passwd', '../../../etc/shadow', '/', 'a', 'bin/sh', '/bin/sh'));

const numFieldArb = (max: number): fc.Arbitrary<NumField> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 0, max }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        enc.encode(' 755 \0'),
        enc.encode('9'),
        enc.encode('-1'),
        enc.encode('0x10'),
        enc.encode('77777777777777777777'),
        new Uint8Array([0x80, 0, 0, 0, 0, 0, 0, 1]),
        new Uint8Array([0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
        new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]),
        new Uint8Array(0),
      ),
    },
  );

const paxValue = fc.oneof(fc.constantFrom('', '0', '12', '-1', 'abc', '1e400', '1.5', '99999999999999999999', '0x1f', ' 7'), tarNameArb);
const paxArb: fc.Arbitrary<string | Record<string, string>> = fc.oneof(
  fc.dictionary(fc.constantFrom('path', 'linkpath', 'size', 'uid', 'gid', 'mtime', 'comment'), paxValue, { maxKeys: 3 }),
  fc.constantFrom('5 a=b\n', '999 path=x\n', 'abc', '0 =\n', '6 =x\n', '12 path=\u00e9\n', '-3 x=y\n'),
);

const entryArb: fc.Arbitrary<TarEntrySpec> = fc.record({
  name: tarNameArb,
  flag: fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom('0', '5', '2', '1') },
    { weight: 2, arbitrary: fc.constantFrom('\0', '3', '4', '6', '7', 'S', 'V', 'x', 'g', 'L', 'K', 'Z') },
  ),
  linkName: linkArb,
  data: fc.oneof({ weight: 4, arbitrary: fc.uint8Array({ maxLength: 40 }) }, { weight: 1, arbitrary: fc.uint8Array({ minLength: 500, maxLength: 1100 }) }),
  size: fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: numFieldArb(3000) }),
  mode: numFieldArb(0o177777),
  uid: numFieldArb(70000),
  mtime: numFieldArb(2 ** 33),
  pax: fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: paxArb }),
  gnu: fc.oneof(
    { weight: 8, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.record({ flag: fc.constantFrom('L' as const, 'K' as const), value: linkArb }) },
  ),
});

export const tarSpecArb: fc.Arbitrary<TarSpec> = fc.record({
  entries: fc.array(entryArb, { maxLength: 6 }),
  trailer: fc.boolean(),
  bytes: fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: byteMutationArb }),
  fixChecksums: fc.boolean(),
});

function putNum(h: Uint8Array, off: number, len: number, v: NumField): void {
  if (typeof v === 'number') h.set(enc.encode(`${v.toString(8).padStart(len - 1, '0')}\0`).subarray(0, len), off);
  else h.set(v.subarray(0, len), off);
}

function setChecksum(h: Uint8Array): void {
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += h[i]!;
  h.set(enc.encode(`${sum.toString(8).padStart(6, '0')}\0 `), 148);
}

function header(name: string, flag: string, size: NumField, e: Partial<TarEntrySpec>): Uint8Array {
  const h = new Uint8Array(BLOCK);
  h.set(enc.encode(name).subarray(0, 100), 0);
  putNum(h, 100, 8, e.mode ?? 0o644);
  putNum(h, 108, 8, e.uid ?? 0);
  putNum(h, 116, 8, 0);
  putNum(h, 124, 12, size);
  putNum(h, 136, 12, e.mtime ?? 0);
  h[156] = flag.charCodeAt(0);
  h.set(enc.encode(e.linkName ?? '').subarray(0, 100), 157);
  h.set(enc.encode('ustar\x0000'), 257);
  if (name.length > 100) h.set(enc.encode(name.slice(0, 155)).subarray(0, 155), 345);
  setChecksum(h);
  return h;
}

function paxText(pax: string | Readonly<Record<string, string>>): string {
  if (typeof pax === 'string') return pax;
  return Object.entries(pax)
    .map(([k, v]) => {
      const body = ` ${k}=${v}\n`;
      const n = enc.encode(body).byteLength;
      let len = n + 1;
      while (String(len).length + n !== len) len = String(len).length + n;
      return `${len}${body}`;
    })
    .join('');
}

/** The archive `spec` describes, and where its headers start (for fixing checksums). */
function serialise(spec: TarSpec): { bytes: Uint8Array; headers: number[] } {
  const parts: Uint8Array[] = [];
  const headers: number[] = [];
  let at = 0;
  const push = (p: Uint8Array, isHeader = false) => {
    if (isHeader) headers.push(at);
    parts.push(p);
    at += p.byteLength;
  };
  const withData = (h: Uint8Array, data: Uint8Array) => {
    push(h, true);
    push(data);
    push(new Uint8Array((BLOCK - (data.byteLength % BLOCK)) % BLOCK));
  };
  for (const e of spec.entries) {
    if (e.pax !== undefined) {
      const body = enc.encode(paxText(e.pax));
      withData(header('PaxHeaders/x', 'x', body.byteLength, {}), body);
    }
    if (e.gnu) {
      const body = enc.encode(`${e.gnu.value}\0`);
      withData(header('././@LongLink', e.gnu.flag, body.byteLength, {}), body);
    }
    const data = e.flag === '0' || e.flag === '\0' || e.flag === '7' ? e.data : new Uint8Array(0);
    withData(header(e.name, e.flag, e.size ?? data.byteLength, e), data);
  }
  if (spec.trailer) push(new Uint8Array(2 * BLOCK));
  const bytes = new Uint8Array(at);
  let o = 0;
  for (const p of parts) {
    bytes.set(p, o);
    o += p.byteLength;
  }
  return { bytes, headers };
}

export function tarBytes(spec: TarSpec): Uint8Array {
  const { bytes, headers } = serialise(spec);
  if (!spec.bytes) return bytes;
  const out = mutateBytes(bytes, spec.bytes);
  if (spec.fixChecksums) for (const h of headers) if (h + BLOCK <= out.length) setChecksum(out.subarray(h, h + BLOCK));
  return out;
}

/** Cuts `bytes` into chunks of the given sizes, cycling: the reader must not care where chunks end. */
export async function* chunked(bytes: Uint8Array, sizes: readonly number[]): AsyncGenerator<Uint8Array> {
  let i = 0;
  for (let at = 0; at < bytes.length; i++) {
    const n = sizes[i % sizes.length]!;
    yield bytes.subarray(at, at + n);
    at += n;
  }
}

export const chunkSizesArb: fc.Arbitrary<number[]> = fc.array(fc.integer({ min: 1, max: 1500 }), { minLength: 1, maxLength: 4 });

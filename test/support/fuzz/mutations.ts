// Generic ways to spoil valid input a little, so a parser meets input that gets past its first
// checks: bytes flipped or cut off, and JSON values swapped for wrong types, huge numbers or deep
// nesting. Random bytes alone rarely get past a checksum or JSON.parse.
import fc from 'fast-check';

export type ByteEdit =
  | { readonly at: number; readonly kind: 'flip'; readonly xor: number }
  | { readonly at: number; readonly kind: 'set'; readonly byte: number };

export interface ByteMutation {
  readonly edits: readonly ByteEdit[];
  /** Keep only this share (0–1) of the bytes: a download cut short. */
  readonly cut: number | undefined;
}

export const byteMutationArb: fc.Arbitrary<ByteMutation> = fc.record({
  edits: fc.array(
    fc.oneof(
      fc.record({ at: fc.nat(), kind: fc.constant('flip' as const), xor: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ at: fc.nat(), kind: fc.constant('set' as const), byte: fc.constantFrom(0, 0x20, 0x2f, 0x30, 0x37, 0x38, 0x80, 0xff) }),
    ),
    { maxLength: 4 },
  ),
  cut: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) }),
});

/** A copy of `bytes` with `m` applied; edit offsets wrap around the length. */
export function mutateBytes(bytes: Uint8Array, m: ByteMutation): Uint8Array {
  const out = bytes.slice();
  if (out.length > 0) {
    for (const e of m.edits) {
      const i = e.at % out.length;
      out[i] = e.kind === 'flip' ? out[i]! ^ e.xor : e.byte;
    }
  }
  return m.cut === undefined ? out : out.subarray(0, Math.floor(out.length * m.cut));
}

/** JSON text spliced in as is: nesting deeper than JSON.stringify (recursive in V8) can write. */
class RawJson {
  constructor(readonly text: string) {}
}

/** Nested `depth` times: `[[[…]]]` or `{"a":{"a":…}}`, a stack-depth test for recursive consumers. */
function deep(depth: number, kind: 'array' | 'object'): RawJson {
  return new RawJson(kind === 'array' ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);
}

/** Values of the wrong type or out of range for wherever they land. */
const hostileJsonValueArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, 0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 2, '', 'x', '../../etc/passwd', [], {}, [null], { os: 5 }),
  fc.constantFrom(10, 1000, 100_000).chain((d) => fc.constantFrom(deep(d, 'array'), deep(d, 'object'))),
  fc.jsonValue({ maxDepth: 2 }),
);

export type JsonEdit =
  | { readonly pick: number; readonly kind: 'replace'; readonly value: unknown }
  | { readonly pick: number; readonly kind: 'delete' }
  | { readonly pick: number; readonly kind: 'add'; readonly key: string; readonly value: unknown };

const jsonEditArb: fc.Arbitrary<JsonEdit> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ pick: fc.nat(), kind: fc.constant('replace' as const), value: hostileJsonValueArb }) },
  { weight: 1, arbitrary: fc.record({ pick: fc.nat(), kind: fc.constant('delete' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      pick: fc.nat(),
      kind: fc.constant('add' as const),
      key: fc.constantFrom('__proto__', 'constructor', 'mediaType', 'platform', 'annotations', 'size', 'x'),
      value: hostileJsonValueArb,
    }),
  },
);

type Container = Record<string, unknown> | unknown[];

/** Every object and array inside `v` with its keys, in document order (the root first). */
function containers(v: unknown, out: { c: Container; key: string | number }[] = []): { c: Container; key: string | number }[] {
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      out.push({ c: v, key: i });
      containers(x, out);
    });
  } else if (typeof v === 'object' && v !== null && !(v instanceof RawJson)) {
    for (const [k, x] of Object.entries(v)) {
      out.push({ c: v as Record<string, unknown>, key: k });
      containers(x, out);
    }
  }
  return out;
}

/** A deep copy of `doc` with `edits` applied, each at the slot its `pick` selects (wrapping). */
function mutateJson(doc: unknown, edits: readonly JsonEdit[]): unknown {
  const root = structuredClone(doc);
  for (const e of edits) {
    // Generated values are shared between runs (constants): insert copies, never the values.
    const value = 'value' in e && !(e.value instanceof RawJson) ? structuredClone(e.value) : 'value' in e ? e.value : undefined;
    const slots = containers(root);
    if (slots.length === 0) break;
    const { c, key } = slots[e.pick % slots.length]!;
    if (e.kind === 'replace') (c as Record<string | number, unknown>)[key] = value;
    else if (e.kind === 'delete') {
      if (Array.isArray(c)) c.splice(key as number, 1);
      else delete c[key as string];
    } else if (!Array.isArray(c)) Object.defineProperty(c, e.key, { value, enumerable: true, writable: true, configurable: true });
  }
  return root;
}

/** A JSON document as bytes, after structural edits and then byte edits. */
export interface JsonMutation {
  readonly edits: readonly JsonEdit[];
  readonly bytes: ByteMutation | undefined;
}

export const jsonMutationArb: fc.Arbitrary<JsonMutation> = fc.record({
  edits: fc.array(jsonEditArb, { maxLength: 3 }),
  bytes: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: byteMutationArb }),
});

export function mutatedJsonBytes(doc: unknown, m: JsonMutation): Uint8Array {
  const raw: string[] = [];
  const json = JSON.stringify(mutateJson(doc, m.edits), (_k, v: unknown) => (v instanceof RawJson ? `\u0000raw${raw.push(v.text) - 1}\u0000` : v));
  const text = new TextEncoder().encode(json.replace(/"\\u0000raw(\d+)\\u0000"/g, (_m, i: string) => raw[Number(i)]!));
  return m.bytes ? mutateBytes(text, m.bytes) : text;
}

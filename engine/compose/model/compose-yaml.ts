/**
 * One Compose file parsed as YAML: its plain value (anchors, aliases and `<<` merge keys resolved) and the
 * position of any key path in the text, so that a schema error can name the line it is about.
 * The override tags of 13-merge.md survive as markers, for the merge of several files to act on.
 */
import { type Document, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument, type YAMLMap } from 'yaml';
import { ComposeFileError } from './compose-errors.ts';

/** `!reset`: the merge sets the key back to nothing, whatever value the tag carries. */
export const RESET: unique symbol = Symbol('!reset');

/** `!override`: the merge replaces the earlier value with this one instead of merging into it. */
export class Override {
  constructor(readonly value: unknown) {}
}

export interface ParsedComposeFile {
  readonly file: string;
  /** Mappings are plain objects; `!reset` values are RESET, `!override` values are wrapped in Override. */
  readonly value: Record<string, unknown>;
  /** 1-based line of the deepest node on `path` (keys; indices into sequences), or undefined if the file has none of it. */
  readonly lineOf: (path: readonly (string | number)[]) => number | undefined;
}

export function parseComposeYaml(file: string, text: string): ParsedComposeFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { merge: true, keepSourceTokens: true, lineCounter, prettyErrors: false });
  const error = doc.errors[0];
  if (error) throw new ComposeFileError(`${file}: yaml: line ${lineCounter.linePos(error.pos[0]).line}: ${error.message.split('\n')[0]}`);
  let value: unknown;
  try {
    value = toValue(doc, doc.contents);
  } catch (e) {
    throw e instanceof ComposeFileError ? new ComposeFileError(`${file}: ${e.message}`) : e;
  }
  if (value === null || value === undefined) throw new ComposeFileError(`${file}: empty compose file`);
  if (typeof value !== 'object' || Array.isArray(value) || value instanceof Override) {
    throw new ComposeFileError(`${file}: top-level object must be a mapping`);
  }
  const lineOf = (path: readonly (string | number)[]) => {
    let node = doc.contents as Node | null;
    let offset = node?.range?.[0];
    for (const step of path) {
      const found = childOf(doc, node, step);
      if (!found) break;
      [node, offset] = found;
    }
    return offset === undefined ? undefined : lineCounter.linePos(offset).line;
  };
  return { file, value: value as Record<string, unknown>, lineOf };
}

const isMergeKey = (key: unknown) => isScalar(key) && typeof key.value === 'symbol' && key.source === '<<';

function toValue(doc: Document, node: unknown, open: Set<unknown> = new Set()): unknown {
  if (isAlias(node)) {
    const target = node.resolve(doc);
    // YAML allows an alias inside the node it names; as plain data that would never end.
    if (open.has(target)) throw new ComposeFileError(`yaml: alias *${node.source} refers to a node that contains it`);
    return toValue(doc, target, open);
  }
  if (!node || typeof node !== 'object') return node ?? null;
  const tag = (node as Node).tag;
  if (tag === '!reset') return RESET;
  open.add(node);
  const value = untaggedValue(doc, node, open);
  open.delete(node);
  return tag === '!override' ? new Override(value) : value;
}

function untaggedValue(doc: Document, node: object, open: Set<unknown>): unknown {
  if (isScalar(node)) return node.value;
  if (isSeq(node)) return node.items.map((item) => toValue(doc, item, open));
  if (isMap(node)) return mapValue(doc, node, open);
  return null;
}

/** A mapping's own keys win over merged ones, and among `<<: [*a, *b]` the first source wins, as YAML's merge type says. */
function mapValue(doc: Document, map: YAMLMap, open: Set<unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const merged: Record<string, unknown>[] = [];
  for (const pair of map.items) {
    if (isMergeKey(pair.key)) {
      const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
      for (const source of sources) {
        const value = toValue(doc, source, open);
        if (!value || typeof value !== 'object' || Array.isArray(value))
          throw new ComposeFileError('yaml: map merge requires map or sequence of maps as the value');
        merged.push(value as Record<string, unknown>);
      }
      continue;
    }
    out[keyString(pair.key)] = toValue(doc, pair.value, open);
  }
  for (const source of merged) for (const [k, v] of Object.entries(source)) if (!(k in out)) out[k] = v;
  return out;
}

function keyString(key: unknown): string {
  if (isScalar(key)) return String(key.value);
  return String(key);
}

/** The node under `step` and the offset to report for it: a key's own position, so a line names the key itself. */
function childOf(doc: Document, node: Node | null, step: string | number): [Node | null, number | undefined] | undefined {
  while (isAlias(node)) node = node.resolve(doc) ?? null;
  if (isSeq(node) && typeof step === 'number') {
    const item = node.items[step] as Node | undefined;
    return item ? [item, item.range?.[0]] : undefined;
  }
  if (!isMap(node)) return undefined;
  for (const pair of node.items) {
    if (!isPair(pair)) continue;
    if (isMergeKey(pair.key)) continue;
    if (keyString(pair.key) === String(step)) return [pair.value as Node | null, (pair.key as Node).range?.[0]];
  }
  for (const pair of node.items) {
    if (!isMergeKey(pair.key)) continue;
    const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
    for (const source of sources) {
      const found = childOf(doc, source as Node, step);
      if (found) return found;
    }
  }
  return undefined;
}

/** The value as a lone file means it: `!reset` keys gone, `!override` values as written (what the schema checks). */
export function withoutTags(value: unknown): unknown {
  if (value instanceof Override) return withoutTags(value.value);
  if (Array.isArray(value)) return value.filter((item) => item !== RESET).map(withoutTags);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== RESET) out[k] = withoutTags(v);
    return out;
  }
  return value;
}

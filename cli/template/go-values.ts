// Go's value semantics for templates: how fmt prints a value, template truth, struct vs map.

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

/** Marks an object as a Go struct: a missing field is an error, not `<no value>` (as for a map). */
export const GO_TYPE = Symbol('goType');

/** Gives `fields` Go struct semantics in templates, with `typeName` for error messages. */
export function goStruct<T extends object>(fields: T, typeName: string): T {
  Object.defineProperty(fields, GO_TYPE, { value: typeName, enumerable: false });
  return fields;
}

export function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

export function goTypeName(v: unknown): string {
  if (v === null || v === undefined) return 'interface {}';
  if (Array.isArray(v)) return '[]interface {}';
  if (isMap(v)) return (v as { [GO_TYPE]?: string })[GO_TYPE] ?? 'map[string]interface {}';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  return typeof v === 'boolean' ? 'bool' : 'string';
}

/** Go's `fmt.Sprint(v)` for the values JSON can hold. */
export function printValue(v: unknown, nested = false): string {
  if (v === undefined) return nested ? '<nil>' : '<no value>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `[${v.map((x) => printValue(x, true)).join(' ')}]`;
  if (isMap(v)) {
    const keys = Object.keys(v).sort();
    return `map[${keys.map((k) => `${k}:${printValue(v[k], true)}`).join(' ')}]`;
  }
  return String(v);
}

/** Go template truth: false, 0, nil, and empty strings, arrays and maps are false. */
export function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isMap(v)) return Object.keys(v).length > 0;
  return true;
}

export function toStr(v: unknown): string {
  return typeof v === 'string' ? v : printValue(v);
}

/** docker's `json` template function (EscapeHTML off, no trailing newline). */
export function formatJson(v: unknown): string {
  return JSON.stringify(v === undefined ? null : v) ?? 'null';
}

export function sprintf(format: string, args: unknown[]): string {
  let i = 0;
  return format.replace(/%([-+ 0#]*)(\d*)(?:\.(\d+))?([svdqtfx%])/g, (_m, flags: string, w: string, prec: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    if (i >= args.length) return `%!${verb}(MISSING)`;
    const a = args[i++];
    let s: string;
    switch (verb) {
      case 'q':
        s = JSON.stringify(toStr(a));
        break;
      case 'd':
        s = typeof a === 'number' ? String(Math.trunc(a)) : `%!d(${goTypeName(a)}=${printValue(a)})`;
        break;
      case 'f':
        s = typeof a === 'number' ? a.toFixed(prec ? Number(prec) : 6) : `%!f(${goTypeName(a)}=${printValue(a)})`;
        break;
      case 'x':
        s = typeof a === 'number' ? Math.trunc(a).toString(16) : [...new TextEncoder().encode(toStr(a))].map((b) => b.toString(16).padStart(2, '0')).join('');
        break;
      default:
        s = printValue(a);
        if (verb === 's' && prec) s = s.slice(0, Number(prec));
    }
    const width = Number(w || 0);
    return flags.includes('-') ? s.padEnd(width) : s.padStart(width, flags.includes('0') && verb !== 's' ? '0' : ' ');
  });
}

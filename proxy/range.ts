/** `bytes=a-b`, `bytes=a-`, `bytes=-n`: one range, which is all registry clients ask for. */
const SINGLE_RANGE = /^bytes=(\d*)-(\d*)$/;

/**
 * Resolves a `Range` header against a blob of `size` bytes: inclusive `[start, end]`,
 * `'unsatisfiable'` (answer 416), or undefined (no Range, or a form the proxy does not serve,
 * such as several ranges: answer with the whole blob, as RFC 9110 allows).
 */
export function parseRange(header: string | undefined, size: number): [number, number] | 'unsatisfiable' | undefined {
  const m = header ? SINGLE_RANGE.exec(header.trim()) : null;
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    return suffix === 0 || size === 0 ? 'unsatisfiable' : [Math.max(0, size - suffix), size - 1];
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return undefined; // invalid syntax: ignored, per RFC 9110
  return start >= size ? 'unsatisfiable' : [start, end];
}

/** The header to pass upstream on a cache miss, if it is a well-formed single range. */
export function singleRange(header: string | undefined): string | undefined {
  const h = header?.trim();
  return h && SINGLE_RANGE.test(h) && h !== 'bytes=-' ? h : undefined;
}

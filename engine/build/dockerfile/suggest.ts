/**
 * BuildKit's util/suggest: the closest option within two edits, for `(did you mean FROM?)`.
 * Case-insensitive matches take the case of what was typed (`FORM` → `FROM`, `form` → `from`).
 */
function suggest(value: string, options: Iterable<string>, caseSensitive: boolean): string | undefined {
  const v = caseSensitive ? value : value.toLowerCase();
  let best: string | undefined;
  let min = 3;
  for (const option of options) {
    const o = caseSensitive ? option : option.toLowerCase();
    if (o === v) return undefined;
    const d = distance(v, o);
    if (d < min) {
      min = d;
      best = caseSensitive ? o : matchCase(o, value);
    }
  }
  return best;
}

/** `message (did you mean x?)`, or the message alone when nothing is close. */
export function withSuggestion(message: string, value: string, options: Iterable<string>, caseSensitive: boolean): string {
  const s = suggest(value, options, caseSensitive);
  return s === undefined ? message : `${message} (did you mean ${s}?)`;
}

function matchCase(option: string, typed: string): string {
  if (typed === typed.toLowerCase()) return option.toLowerCase();
  if (typed === typed.toUpperCase()) return option.toUpperCase();
  return option;
}

/** Levenshtein distance: insertions, deletions, substitutions of one character each cost 1. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

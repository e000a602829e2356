// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${VAR}` in a Dockerfile is the data under test, not a template.
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { EXPANDED_INSTRUCTIONS, expandWord, expandWords } from '../../../engine/build/dockerfile/expand-word.ts';

const env: Record<string, string> = { A: 'a', EMPTY: '', P: '/usr/local/bin', F: 'file.tar.gz', S: 'x y' };
const lookup = (n: string) => env[n];
const w = (t: string, escapeChar: '\\' | '`' = '\\') => expandWord(t, lookup, escapeChar);

describe('expandWord', () => {
  it('expands variables and modifiers', () => {
    expect(w('$A-${A}_$NOPE.')).toBe('a-a_.');
    expect(w('${NOPE:-d} ${EMPTY:-d} ${EMPTY-d} ${A:-d}')).toBe('d d  a');
    expect(w('${A:+s} ${EMPTY:+s} ${EMPTY+s} ${NOPE+s}')).toBe('s  s ');
    expect(w('${A:-${B:-c}} ${NOPE:-${B:-c}}')).toBe('a c');
    expect(w('${F%.*} ${F%%.*} ${F#*.} ${F##*.} ${P/local/opt} ${P//l/L}')).toBe('file.tar file tar.gz gz /usr/opt/bin /usr/LocaL/bin');
    expect(w('$ $1 ${A}$')).toBe('$  a$');
  });

  it('handles quotes and the escapeChar character', () => {
    expect(w(`'$A' "$A" "'$A'" \\$A "\\$A" "a\\b"`)).toBe(`$A a 'a' $A $A a\\b`);
    expect(w('`$A $A', '`')).toBe('$A a');
    expect(w('a\\ b')).toBe('a b');
  });

  it('fails like BuildKit', () => {
    expect(() => w('${NOPE:?is required}')).toThrow('failed to process "${NOPE:?is required}": NOPE: is required');
    expect(() => w('${NOPE?}')).toThrow('NOPE: is not allowed to be unset');
    expect(() => w('${EMPTY:?}')).toThrow('EMPTY: is not allowed to be empty');
    expect(w('${EMPTY?}')).toBe('');
    expect(() => w('${A:-x')).toThrow("syntax error: missing '}'");
    expect(() => w('${:}')).toThrow('bad substitution');
    expect(() => w("'open")).toThrow('matching single-quote');
  });
});

describe('expandWords', () => {
  it('splits on unquoted whitespace after expansion', () => {
    expect(expandWords('80 $S "a b" c\\ d ${NOPE}', lookup)).toEqual(['80', 'x', 'y', 'a b', 'c d']);
  });
  it('lists the instructions the builder expands', () => {
    expect(EXPANDED_INSTRUCTIONS.has('COPY')).toBe(true);
    expect(EXPANDED_INSTRUCTIONS.has('RUN')).toBe(false);
  });
});

test.prop([fc.stringMatching(/^[^$'"\\`]*$/)])('text without $, quotes or escapes is unchanged', (text) => {
  expect(expandWord(text, () => 'X')).toBe(text);
});

test.prop([fc.string()])('never throws anything but its own errors', (text) => {
  try {
    expandWord(text, lookup);
  } catch (e) {
    expect((e as Error).message).toMatch(/^failed to process /);
  }
});

// Compose's variable interpolation: every form of 12-interpolation.md, its warnings and its errors.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Compose variable references are the data under test, not templates.
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { interpolateString, interpolateTree } from '../../../engine/compose/model/interpolate.ts';

const env: Record<string, string> = { SET: 'value', EMPTY: '', TAG: '1.25', B: 'bee' };
const run = (text: string, vars = env) => {
  const warnings: string[] = [];
  const value = interpolateString(text, { lookup: (k) => vars[k], warn: (w) => warnings.push(w) }, 'services.web.image');
  return { value, warnings };
};

describe('interpolateString', () => {
  it.each([
    ['nginx:$TAG', 'nginx:1.25'],
    ['nginx:${TAG}-alpine', 'nginx:1.25-alpine'],
    ['${EMPTY:-default}', 'default'],
    ['${UNSET:-default}', 'default'],
    ['${EMPTY-default}', ''],
    ['${UNSET-default}', 'default'],
    ['${SET:-default}', 'value'],
    ['${SET:+alt}', 'alt'],
    ['${EMPTY:+alt}', ''],
    ['${EMPTY+alt}', 'alt'],
    ['${UNSET+alt}', ''],
    ['${SET:?must be set}', 'value'],
    ['${EMPTY?must be set}', ''],
    ['${UNSET:-${B}}', 'bee'],
    ['${UNSET:-${ALSO_UNSET:-deep}}', 'deep'],
    ['${UNSET:-a}${SET}', 'avalue'],
    ['$$HOME and $${SET}', '$HOME and ${SET}'],
    ['cost: 5$ or $1', 'cost: 5$ or $1'],
    ['no variables', 'no variables'],
  ])('%s → %s', (text, expected) => {
    expect(run(text).value).toBe(expected);
  });

  it('replaces an unset variable with no default by "" and warns as Compose does', () => {
    expect(run('redis:${REDIS_TAG}')).toEqual({ value: 'redis:', warnings: ['The "REDIS_TAG" variable is not set. Defaulting to a blank string.'] });
    expect(run('$NOPE').warnings).toHaveLength(1);
    // A default, or `+`, is not a missing value.
    expect(run('${NOPE-x}${NOPE:+y}').warnings).toEqual([]);
  });

  it('fails a required variable with Compose’s message', () => {
    expect(() => run('${DB_PASSWORD:?set it in .env}')).toThrow('required variable DB_PASSWORD is missing a value: set it in .env');
    expect(() => run('${EMPTY:?empty is not enough}')).toThrow('required variable EMPTY is missing a value: empty is not enough');
    expect(() => run('${UNSET?}')).toThrow(/^required variable UNSET is missing a value$/);
    // The message is interpolated too.
    expect(() => run('${UNSET?need $B}')).toThrow('required variable UNSET is missing a value: need bee');
  });

  it('names the key of an invalid reference', () => {
    for (const bad of ['${', 'nginx:${TAG', '${}', '${1X}', '${A/b/c}', '${A:=x}']) {
      expect(() => run(bad), bad).toThrow('invalid interpolation format for services.web.image. You may need to escape any $ with another $.');
    }
  });

  test.prop([fc.string()])('`$$` escaping gives back any text, whatever it holds', (text) => {
    expect(run(text.replaceAll('$', '$$$$'), {}).value).toBe(text);
  });
});

describe('interpolateTree', () => {
  it('interpolates values at any depth, never keys, and names list items in errors', () => {
    const tree = { services: { web: { image: 'app:$TAG', labels: { $SET: '$SET' }, ports: ['${B}', 80], read_only: true } } };
    expect(interpolateTree(tree, { lookup: (k) => env[k], warn: () => {} })).toEqual({
      services: { web: { image: 'app:1.25', labels: { $SET: 'value' }, ports: ['bee', 80], read_only: true } },
    });
    expect(() => interpolateTree({ services: { web: { ports: ['ok', '${'] } } }, { lookup: () => undefined, warn: () => {} })).toThrow(
      'invalid interpolation format for services.web.ports[1].',
    );
  });
});

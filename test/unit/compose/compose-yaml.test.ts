// YAML as Compose reads it: anchors, aliases, merge keys, the override tags, and positions for errors.
import { describe, expect, it } from 'vitest';
import { Override, parseComposeYaml, RESET, withoutTags } from '../../../engine/compose/model/compose-yaml.ts';

describe('parseComposeYaml', () => {
  it('resolves anchors, aliases and merge keys (own keys win, then the first source)', () => {
    const { value } = parseComposeYaml(
      'compose.yaml',
      `
x-env: &env
  TZ: utc
  PORT: "80"
x-more: &more
  PORT: "81"
  DEBUG: "1"
services:
  first:
    environment: *env
  second:
    environment:
      <<: [*env, *more]
      PORT: "8080"
`,
    );
    expect((value['services'] as Record<string, unknown>)['first']).toEqual({ environment: { TZ: 'utc', PORT: '80' } });
    expect((value['services'] as Record<string, unknown>)['second']).toEqual({ environment: { TZ: 'utc', PORT: '8080', DEBUG: '1' } });
  });

  it('keeps !reset and !override as markers, which withoutTags takes away', () => {
    const { value } = parseComposeYaml('o.yaml', 'services:\n  app:\n    ports: !reset []\n    volumes: !override\n      - a:/b\n    image: !reset null\n');
    const app = (value['services'] as Record<string, Record<string, unknown>>)['app']!;
    expect(app['ports']).toBe(RESET);
    expect(app['volumes']).toEqual(new Override(['a:/b']));
    expect(withoutTags(value)).toEqual({ services: { app: { volumes: ['a:/b'] } } });
  });

  it('gives the line of a key path', () => {
    const parsed = parseComposeYaml('c.yaml', 'services:\n  web:\n    image: nginx\n    ports:\n      - "80"\n      - "81"\n');
    expect(parsed.lineOf(['services', 'web', 'image'])).toBe(3);
    expect(parsed.lineOf(['services', 'web', 'ports', 1])).toBe(6);
    // As deep as the file goes.
    expect(parsed.lineOf(['services', 'web', 'missing', 'deeper'])).toBe(2);
  });

  it('fails on bad YAML with the line, and on a file that is not a mapping', () => {
    expect(() => parseComposeYaml('c.yaml', 'services:\n  web:\n    image: [nginx\n')).toThrow(/^c\.yaml: yaml: line \d+: /);
    expect(() => parseComposeYaml('c.yaml', '- a\n')).toThrow('c.yaml: top-level object must be a mapping');
    expect(() => parseComposeYaml('c.yaml', '')).toThrow('c.yaml: empty compose file');
    expect(() => parseComposeYaml('c.yaml', 'x: &a [*a]\n')).toThrow('c.yaml: yaml: alias *a refers to a node that contains it');
    expect(() => parseComposeYaml('c.yaml', 'x:\n  <<: [1]\n')).toThrow('c.yaml: yaml: map merge requires map or sequence of maps as the value');
  });
});

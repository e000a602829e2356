import { describe, expect, it } from 'vitest';
import { parseDockerignore } from '../../../engine/build/dockerfile/dockerignore.ts';

const ex = (rules: string, path: string) => parseDockerignore(rules).excludes(path);

describe('parseDockerignore', () => {
  it('matches like moby/patternmatcher', () => {
    const m = parseDockerignore('# comment\n\n**/*.md\n!README.md\nnode_modules/\n/build\n./tmp/*.log\n*.t?t\nx[0-9]\n');
    expect(m.excludes('docs/a.md')).toBe(true);
    expect(m.excludes('a.md')).toBe(true);
    expect(m.excludes('README.md')).toBe(false);
    expect(m.excludes('docs/README.md')).toBe(true);
    expect(m.excludes('node_modules/x/index.js')).toBe(true);
    expect(m.excludes('build/out.js')).toBe(true);
    expect(m.excludes('src/build/out.js')).toBe(false);
    expect(m.excludes('tmp/a.log')).toBe(true);
    expect(m.excludes('tmp/sub/a.log')).toBe(false);
    expect(m.excludes('a.txt')).toBe(true);
    expect(m.excludes('x5')).toBe(true);
    expect(m.excludes('# comment')).toBe(false);
  });
  it('the last matching pattern wins', () => {
    expect(ex('*.md\n!README.md', 'README.md')).toBe(false);
    expect(ex('!README.md\n*.md', 'README.md')).toBe(true);
    expect(ex('docs\n!docs/keep.md', 'docs/keep.md')).toBe(false);
    expect(ex('docs\n!docs/keep.md', 'docs/other.md')).toBe(true);
    expect(ex('**', 'a/b/c')).toBe(true);
    expect(ex('Dockerfile\n.dockerignore', 'Dockerfile')).toBe(true);
  });
  it('refuses a bare !', () => {
    expect(() => parseDockerignore('!')).toThrow('illegal exclusion pattern: "!"');
  });
});

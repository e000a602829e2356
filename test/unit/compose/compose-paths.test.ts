import { describe, expect, it } from 'vitest';
import { absolutePath, joinPath, rebasePaths, sourcePath } from '../../../engine/compose/model/compose-paths.ts';

describe('project paths', () => {
  it('joins and normalises, keeping a path above the directory', () => {
    expect(joinPath('', './compose.yaml')).toBe('compose.yaml');
    expect(joinPath('a/b', '../c/./d')).toBe('a/c/d');
    expect(joinPath('a', '../../up')).toBe('../up');
    expect(joinPath('a', '/abs/./x/..')).toBe('/abs');
    expect(absolutePath('/home/me/app', '../other')).toBe('/home/me/other');
    expect(absolutePath('/', '.')).toBe('/');
  });

  it('turns an absolute path back into the one a source reads', () => {
    expect(sourcePath('/home/me/app', '/home/me/app/env/.env')).toBe('env/.env');
    expect(sourcePath('/home/me/app', '/home/me/shared/x.env')).toBe('../shared/x.env');
    expect(sourcePath('/', '/x/y')).toBe('x/y');
  });

  it('rebases the relative paths of an included file onto the project directory', () => {
    const file = {
      services: {
        web: {
          build: { context: '.', dockerfile: 'Dockerfile' },
          env_file: ['web.env', { path: '/abs.env' }],
          volumes: ['./data:/data', 'named:/n', '/abs:/abs', { type: 'bind', source: '../logs', target: '/logs' }],
        },
        remote: { build: 'https://github.com/x/y.git' },
      },
      secrets: { pw: { file: 'pw.txt' }, ext: { external: true } },
    };
    expect(rebasePaths(file, 'sub')).toEqual({
      services: {
        web: {
          build: { context: './sub', dockerfile: 'Dockerfile' },
          env_file: ['./sub/web.env', { path: '/abs.env' }],
          volumes: ['./sub/data:/data', 'named:/n', '/abs:/abs', { type: 'bind', source: './logs', target: '/logs' }],
        },
        remote: { build: 'https://github.com/x/y.git' },
      },
      secrets: { pw: { file: './sub/pw.txt' }, ext: { external: true } },
    });
    expect(rebasePaths(file, '')).toBe(file);
  });
});

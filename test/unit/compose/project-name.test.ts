import { describe, expect, it } from 'vitest';
import { projectName } from '../../../engine/compose/model/project-name.ts';

describe('projectName', () => {
  it('prefers the given name, then the file’s, then the directory’s made valid', () => {
    expect(projectName('cli', 'file', 'dir')).toBe('cli');
    expect(projectName(undefined, 'file', 'dir')).toBe('file');
    expect(projectName(undefined, undefined, 'My Project.v2')).toBe('myprojectv2');
    expect(projectName(undefined, undefined, '_hidden-App')).toBe('hidden-app');
  });

  it('refuses a given name that is not valid, and an empty one', () => {
    expect(() => projectName('My-App', undefined, 'x')).toThrow(
      '"My-App" is not a valid project name: it must contain only characters from [a-z0-9_-] and start with [a-z0-9]',
    );
    expect(() => projectName(undefined, '_x', 'x')).toThrow('"_x" is not a valid project name');
    expect(() => projectName(undefined, undefined, '')).toThrow('project name must not be empty');
  });
});

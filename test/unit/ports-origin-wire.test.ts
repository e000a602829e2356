import { describe, expect, it } from 'vitest';
import { splitPortPath } from '../../ports-origin/wire.ts';

describe('published port paths', () => {
  it('splits the host port off a path', () => {
    expect(splitPortPath('/8080/')).toEqual({ hostPort: 8080, path: '/' });
    expect(splitPortPath('/8080')).toEqual({ hostPort: 8080, path: '/' });
    expect(splitPortPath('/8080/a/b?q=1')).toEqual({ hostPort: 8080, path: '/a/b?q=1' });
    expect(splitPortPath('/8080?q=1')).toEqual({ hostPort: 8080, path: '/?q=1' });
  });

  it('names no port for other paths and out-of-range numbers', () => {
    for (const p of ['/', '/img.png', '/80a/', '/0/', '/65536/', '/123456/', '//8080/']) expect(splitPortPath(p), p).toBeUndefined();
  });
});

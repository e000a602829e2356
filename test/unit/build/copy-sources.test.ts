import { describe, expect, it } from 'vitest';
import { resolveCopy } from '../../../engine/build/dockerfile/copy-sources.ts';

const files = ['go.mod', 'go.sum', 'main.go', 'cmd/app/main.go', 'cmd/tool/main.go', 'web/index.html', 'web/css/a.css', '.env'];

describe('resolveCopy', () => {
  it('copies a file to a file name or into a directory', () => {
    expect(resolveCopy(['main.go'], '/src/app.go', '/', files)).toEqual([{ from: 'main.go', to: '/src/app.go' }]);
    expect(resolveCopy(['main.go'], '/src/', '/', files)).toEqual([{ from: 'main.go', to: '/src/main.go' }]);
    expect(resolveCopy(['go.mod', 'go.sum'], './', '/src', files)).toEqual([
      { from: 'go.mod', to: '/src/go.mod' },
      { from: 'go.sum', to: '/src/go.sum' },
    ]);
    expect(resolveCopy(['main.go'], 'app', '/work', files)).toEqual([{ from: 'main.go', to: '/work/app' }]);
  });
  it('copies a directory’s contents, and . as the whole context', () => {
    expect(resolveCopy(['web'], '/srv', '/', files)).toEqual([
      { from: 'web/css/a.css', to: '/srv/css/a.css', under: { from: 'web', to: '/srv' } },
      { from: 'web/index.html', to: '/srv/index.html', under: { from: 'web', to: '/srv' } },
    ]);
    expect(resolveCopy(['.'], '.', '/app', files).map((e) => e.to)).toContain('/app/cmd/app/main.go');
    expect(resolveCopy(['./'], '/', '/', files)).toHaveLength(files.length);
  });
  it('matches wildcards per segment', () => {
    expect(resolveCopy(['go.*'], '/x/', '/', files).map((e) => e.from)).toEqual(['go.mod', 'go.sum']);
    expect(resolveCopy(['cmd/*/main.go'], '/x/', '/', files).map((e) => e.from)).toEqual(['cmd/app/main.go', 'cmd/tool/main.go']);
    expect(resolveCopy(['cmd/*'], '/x/', '/', files).map((e) => e.to)).toEqual(['/x/main.go', '/x/main.go']);
    expect(resolveCopy(['*.g[o]'], '/x', '/', files)).toEqual([{ from: 'main.go', to: '/x' }]);
    expect(resolveCopy(['*.nothing'], '/x/', '/', files)).toEqual([]);
  });
  it('fails for missing or outside paths', () => {
    expect(() => resolveCopy(['nope.txt'], '/', '/', files)).toThrow(
      'failed to compute cache key: failed to calculate checksum of ref: "/nope.txt": not found',
    );
    expect(() => resolveCopy(['../x'], '/', '/', files)).toThrow('forbidden path outside the build context: ../x');
  });
});

// The proxy's URL scheme for pushes: which paths are upload routes, and which upload ids and
// queries may go upstream.
import { describe, expect, it } from 'vitest';
import { RegistryError } from '../../../proxy/errors.ts';
import { parseRoute } from '../../../proxy/route.ts';

const code = (url: string) => {
  try {
    parseRoute(url);
  } catch (e) {
    return e instanceof RegistryError ? `${e.status} ${e.code}` : String(e);
  }
  return 'ok';
};

describe('parseRoute, push routes', () => {
  it('knows a new upload, an upload session and a manifest by their paths', () => {
    expect(parseRoute('/v2/ghcr.io/team/app/blobs/uploads/?mount=sha256:x&from=a/b')).toEqual({
      kind: 'upload-start',
      registry: 'ghcr.io',
      repository: 'team/app',
      query: 'mount=sha256:x&from=a/b',
    });
    expect(parseRoute('/v2/127.0.0.1:5000/a/b/c/blobs/uploads/5f0c-ab_CD.9~x=?_state=abc%3D&digest=sha256%3A00')).toEqual({
      kind: 'upload',
      registry: '127.0.0.1:5000',
      repository: 'a/b/c',
      id: '5f0c-ab_CD.9~x=',
      query: '_state=abc%3D&digest=sha256%3A00',
    });
    // A repository may have `blobs` or `uploads` components of its own.
    expect(parseRoute('/v2/ghcr.io/x/blobs/uploads/manifests/v1')).toMatchObject({ kind: 'manifest', repository: 'x/blobs/uploads', reference: 'v1' });
    expect(parseRoute('/v2/ghcr.io/blobs/blobs/uploads/')).toMatchObject({ kind: 'upload-start', repository: 'blobs' });
  });

  it('refuses upload ids and queries that could reach another upstream URL', () => {
    for (const id of ['..', '.', '...', '%2e%2e', 'a%2Fb', 'a\\b', 'a:b', 'a@b', `${'x'.repeat(513)}`]) {
      expect(code(`/v2/ghcr.io/team/app/blobs/uploads/${id}`), id).toBe('400 BLOB_UPLOAD_INVALID');
    }
    for (const q of ['a#b', 'a b', 'a\u0000b', 'é']) expect(code(`/v2/ghcr.io/team/app/blobs/uploads/abc?${q}`), q).toBe('400 BLOB_UPLOAD_INVALID');
    expect(code('/v2/ghcr.io/team/app/blobs/uploads/abc/def')).toBe('404 UNSUPPORTED');
    expect(code('/v2/ghcr.io/blobs/uploads/abc')).toBe('404 UNSUPPORTED');
    expect(code('/v2/ghcr.io/team/../x/blobs/uploads/abc')).toBe('400 NAME_INVALID');
  });
});

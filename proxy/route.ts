import { isDigest } from '../core/oci/digest.ts';
import { isNameTooLong, isRepositoryPath, isTag } from '../core/oci/reference.ts';
import { RegistryError } from './errors.ts';
import { isRegistryHost } from './registry-host.ts';

export type Route =
  | { readonly kind: 'ping' }
  | { readonly kind: 'registry-ping'; readonly registry: string }
  | { readonly kind: 'manifest' | 'blob'; readonly registry: string; readonly repository: string; readonly reference: string }
  | { readonly kind: 'tags' | 'upload-start'; readonly registry: string; readonly repository: string; readonly query: string }
  | { readonly kind: 'upload'; readonly registry: string; readonly repository: string; readonly id: string; readonly query: string };

/** The methods each kind of route answers (OPTIONS, the preflight, is answered for every path). */
export const ROUTE_METHODS: Readonly<Record<Route['kind'], readonly string[]>> = {
  ping: ['GET', 'HEAD'],
  'registry-ping': ['GET', 'HEAD'],
  tags: ['GET', 'HEAD'],
  manifest: ['GET', 'HEAD', 'PUT'],
  blob: ['GET', 'HEAD'],
  'upload-start': ['POST'],
  upload: ['GET', 'PATCH', 'PUT', 'DELETE'],
};

// An upload session's id as registries write it (a UUID, or an opaque URL-safe token): unreserved
// characters only, so no `/`, no `%` (no encoded slash or dot) and, below, no `.`/`..` segment.
const UPLOAD_ID = /^[A-Za-z0-9._~=-]{1,512}$/;
// A query the proxy passes on as it is (an upload's `_state`, the client's `digest`): visible
// ASCII without `#`. It can't change the upstream URL's origin or path either way.
const UPLOAD_QUERY = /^[!-"$-~]{0,8192}$/;

function isUploadId(s: string): boolean {
  return UPLOAD_ID.test(s) && !/^\.+$/.test(s);
}

function isUploadQuery(s: string): boolean {
  return UPLOAD_QUERY.test(s);
}

/**
 * Maps the proxy's URL scheme onto registries:
 *
 *     /v2/                                         → ping of the proxy itself
 *     /v2/<registry-host>/                         → ping of that registry
 *     /v2/<registry-host>/<name>/manifests/<ref>   → <registry>/v2/<name>/manifests/<ref>
 *     /v2/<registry-host>/<name>/blobs/<digest>    → <registry>/v2/<name>/blobs/<digest>
 *     /v2/<registry-host>/<name>/tags/list[?n=&last=]
 *     /v2/<registry-host>/<name>/blobs/uploads/[?mount=&from= | ?digest=]   (push: a new upload)
 *     /v2/<registry-host>/<name>/blobs/uploads/<id>[?<upstream state>]      (push: that upload)
 *
 * The raw request target is parsed as is: it is not URL-normalised, so `a/../b` arrives as
 * written and is refused instead of being quietly resolved to another repository.
 */
export function parseRoute(rawUrl: string): Route {
  const q = rawUrl.indexOf('?');
  const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const query = q < 0 ? '' : rawUrl.slice(q + 1);
  if (path === '/v2' || path === '/v2/') return { kind: 'ping' };
  const [first = '', ...rest] = path.slice('/v2/'.length).split('/');
  const registry = first.toLowerCase();
  if (!isRegistryHost(registry)) throw new RegistryError(400, 'NAME_INVALID', 'invalid registry host in the path');
  if (rest.length === 0 || (rest.length === 1 && rest[0] === '')) return { kind: 'registry-ping', registry };

  const upload = rest.length >= 4 && rest[rest.length - 3] === 'blobs' && rest[rest.length - 2] === 'uploads';
  const last = rest[rest.length - 1]!;
  const verb = rest[rest.length - 2];
  const nameParts = rest.slice(0, upload ? -3 : -2);
  const isTags = verb === 'tags' && last === 'list';
  if (nameParts.length === 0 || !(upload || isTags || verb === 'manifests' || verb === 'blobs')) {
    throw new RegistryError(404, 'UNSUPPORTED', 'unsupported endpoint: this proxy serves manifests, blobs, blob uploads and tags/list');
  }
  const repository = nameParts.join('/');
  // distribution/reference's grammar, which also keeps `..`, `%2e%2e`, empty components and
  // backslashes out of upstream URLs.
  if (!isRepositoryPath(repository) || isNameTooLong(registry, repository)) {
    throw new RegistryError(400, 'NAME_INVALID', 'invalid repository name');
  }
  if (isTags) return { kind: 'tags', registry, repository, query };
  if (upload) {
    if (last === '') return { kind: 'upload-start', registry, repository, query };
    if (!isUploadId(last)) throw new RegistryError(400, 'BLOB_UPLOAD_INVALID', 'invalid upload id');
    if (!isUploadQuery(query)) throw new RegistryError(400, 'BLOB_UPLOAD_INVALID', 'invalid upload query');
    return { kind: 'upload', registry, repository, id: last, query };
  }
  if (verb === 'blobs' || last.includes(':')) {
    if (!isDigest(last)) throw new RegistryError(400, 'DIGEST_INVALID', 'invalid digest (expected sha256:<64 hex> or sha512:<128 hex>)');
  } else if (!isTag(last)) {
    throw new RegistryError(400, 'TAG_INVALID', 'invalid tag');
  }
  return { kind: verb === 'blobs' ? 'blob' : 'manifest', registry, repository, reference: last };
}

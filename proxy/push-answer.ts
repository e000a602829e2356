import type { IncomingMessage } from 'node:http';
import { isDigest } from '../core/oci/digest.ts';
import { RegistryError } from './errors.ts';
import { upstreamOrigin } from './registry-host.ts';
import { parseRoute } from './route.ts';

const RANGE = /^(?:bytes=)?\d{1,15}-\d{1,15}$/;
const UPLOAD_UUID = /^[A-Za-z0-9._~=-]{1,512}$/;

/**
 * The headers of a successful push answer that a client needs, checked: `Location` as a path of
 * this proxy, `Docker-Content-Digest`, and an upload's `Range` and `Docker-Upload-UUID`. The body
 * (empty, or a short note) is not passed on. `path` is the request's, under the registry's `/v2/`.
 */
export function pushAnswerHeaders(up: IncomingMessage, registry: string, path: string): Record<string, string> {
  const headers: Record<string, string> = { 'Content-Length': '0' };
  const { location, range } = up.headers;
  if (location) headers.Location = proxiedLocation(location, new URL(`${upstreamOrigin(registry)}/v2/${path}`), registry);
  const digest = up.headers['docker-content-digest'];
  if (typeof digest === 'string' && isDigest(digest)) headers['Docker-Content-Digest'] = digest;
  if (range && RANGE.test(range)) headers.Range = range;
  const uuid = up.headers['docker-upload-uuid'];
  if (typeof uuid === 'string' && UPLOAD_UUID.test(uuid)) headers['Docker-Upload-UUID'] = uuid;
  return headers;
}

/**
 * An upstream `Location` as a path of this proxy: `http://registry/v2/<name>/blobs/uploads/<id>?_state=…`
 * → `/v2/<registry>/<name>/blobs/uploads/<id>?_state=…`. The query is kept (registry:2 keeps the
 * upload's state in it). The Location must stay on the registry's own origin and name a route of
 * the proxy's scheme, checked by the parser of the browser's requests; anything else (another
 * host, a path out of `/v2/`, an encoded slash) is refused, so the browser's next request can
 * only go where this one went.
 */
function proxiedLocation(location: string, requested: URL, registry: string): string {
  const refuse = (why: string) => new RegistryError(502, 'UNAVAILABLE', `${registry} answered a push with a Location ${why}; refusing it`);
  let target: URL;
  try {
    target = new URL(location, requested);
  } catch {
    throw refuse('that is not a URL');
  }
  if (target.origin !== requested.origin) throw refuse(`on another origin (${target.origin})`);
  if (!target.pathname.startsWith('/v2/')) throw refuse('outside /v2/');
  const path = `/v2/${registry}/${target.pathname.slice('/v2/'.length)}${target.search}`;
  let kind: string;
  try {
    kind = parseRoute(path).kind;
  } catch {
    throw refuse('that is not a valid upload, blob or manifest path');
  }
  if (kind !== 'upload' && kind !== 'blob' && kind !== 'manifest') throw refuse('that is not an upload, blob or manifest path');
  return path;
}

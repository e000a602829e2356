import type { IncomingMessage } from 'node:http';

// Headers a registry client has to read: digests to verify, ranges to resume, Link to page,
// Retry-After to back off, an upload's Location, Range and UUID to go on with it. Without this
// list a cross-origin script sees none of them.
const EXPOSE = [
  'Docker-Content-Digest',
  'Docker-Distribution-Api-Version',
  'Docker-Upload-UUID',
  'WWW-Authenticate',
  'Content-Range',
  'Content-Length',
  'Content-Type',
  'Link',
  'Location',
  'Range',
  'Retry-After',
  'ETag',
].join(', ');

/**
 * CORS headers for every `/v2/` and `/fetch` response. `allowed` is `*` or a comma-separated
 * origin list; with a list, a matching `Origin` is echoed and others get no `Allow-Origin` (the
 * browser then blocks the read). Credentials are never allowed: the proxy uses no cookies.
 */
export function corsHeaders(req: IncomingMessage, allowed: string): Record<string, string> {
  const headers: Record<string, string> = {
    'Access-Control-Expose-Headers': EXPOSE,
    // Lets pages that are cross-origin isolated (COEP require-corp) load these responses.
    'Cross-Origin-Resource-Policy': 'cross-origin',
  };
  if (allowed.trim() === '*') {
    headers['Access-Control-Allow-Origin'] = '*';
    return headers;
  }
  headers.Vary = 'Origin';
  const origin = req.headers.origin;
  const list = allowed.split(',').map((o) => o.trim());
  if (origin && list.includes(origin)) headers['Access-Control-Allow-Origin'] = origin;
  return headers;
}

/**
 * The answer to a preflight. Registries behind token auth answer preflights with 401, which
 * browsers treat as a network error, so the proxy answers them itself, for any `/v2/` path.
 * `Authorization` is allowed so generic registry clients can send it; the proxy ignores it. The
 * methods and headers of a push are allowed whether or not the registry takes pushes, so that a
 * refused push gets the proxy's answer saying why rather than a bare CORS failure.
 */
export const PREFLIGHT_HEADERS: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Methods': 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS',
  'Access-Control-Allow-Headers': 'Authorization, Accept, Range, Content-Type, Content-Range, Content-Length, If-None-Match',
  'Access-Control-Max-Age': '600',
};

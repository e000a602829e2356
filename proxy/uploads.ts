import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { isDigest } from '../core/oci/digest.ts';
import { isNameTooLong, isRepositoryPath } from '../core/oci/reference.ts';
import { pushScope } from './auth.ts';
import { RegistryError, upstreamError } from './errors.ts';
import type { UpstreamRequest } from './http-client.ts';
import { pushAnswerHeaders } from './push-answer.ts';
import type { Services } from './server.ts';

interface UploadStartRoute {
  readonly registry: string;
  readonly repository: string;
  readonly query: string;
}

interface UploadRoute {
  readonly registry: string;
  readonly repository: string;
  readonly id: string;
  readonly query: string;
}

type SessionMethod = 'GET' | 'PATCH' | 'PUT' | 'DELETE';

/** What each request of an upload session answers when it worked (distribution spec). */
const SESSION_SUCCESS: Readonly<Record<SessionMethod, readonly number[]>> = { GET: [204], PATCH: [202], PUT: [201], DELETE: [204] };

// The request headers a push needs upstream, and the forms they may take; nothing else is sent.
const CONTENT_TYPE = /^[\w.+-]+\/[\w.+-]+(?:\s*;[\x20-\x7e]{0,200})?$/;
const CONTENT_LENGTH = /^\d{1,15}$/;
const CONTENT_RANGE = /^(?:bytes[ =])?\d{1,15}-\d{1,15}(?:\/(?:\d{1,15}|\*))?$/;

/**
 * `POST …/blobs/uploads/`: a new upload session, a cross-repository mount (`?mount=<digest>&from=<repo>`,
 * which also needs pull access to `from`), or a whole blob at once (`?digest=`, body streamed).
 * Only those parameters, well formed, go upstream.
 */
export async function startUpload(req: IncomingMessage, res: ServerResponse, route: UploadStartRoute, s: Services): Promise<void> {
  const given = new URLSearchParams(route.query);
  const query = new URLSearchParams();
  const mount = given.get('mount');
  const from = given.get('from');
  const digest = given.get('digest');
  let scope = pushScope(route.repository);
  if (mount !== null || from !== null) {
    if (mount === null || !isDigest(mount)) throw new RegistryError(400, 'DIGEST_INVALID', 'a mount needs the digest of the blob (?mount=sha256:…)');
    if (from === null || !isRepositoryPath(from) || isNameTooLong(route.registry, from)) {
      throw new RegistryError(400, 'NAME_INVALID', 'invalid repository to mount from (?from=)');
    }
    query.set('mount', mount);
    query.set('from', from);
    scope = pushScope(route.repository, from);
  } else if (digest !== null) {
    if (!isDigest(digest)) throw new RegistryError(400, 'DIGEST_INVALID', 'invalid digest (expected sha256:<64 hex> or sha512:<128 hex>)');
    query.set('digest', digest);
  }
  const qs = query.toString();
  await relay(req, res, route, `${route.repository}/blobs/uploads/${qs ? `?${qs}` : ''}`, [201, 202], scope, s);
}

/**
 * `PATCH|PUT|GET|DELETE …/blobs/uploads/<id>[?<state>]`: a chunk, the last request (`?digest=`),
 * the session's progress, or its cancellation. The id and query were checked by the route; the
 * body is streamed through.
 */
export async function continueUpload(req: IncomingMessage, res: ServerResponse, route: UploadRoute, s: Services): Promise<void> {
  const method = req.method as SessionMethod;
  const path = `${route.repository}/blobs/uploads/${route.id}${route.query ? `?${route.query}` : ''}`;
  await relay(req, res, route, path, SESSION_SUCCESS[method], pushScope(route.repository), s);
}

/** Sends the push request upstream and answers with its status and the headers a client needs. */
async function relay(
  req: IncomingMessage,
  res: ServerResponse,
  route: { readonly registry: string; readonly repository: string },
  path: string,
  success: readonly number[],
  scope: string,
  s: Services,
): Promise<void> {
  const method = req.method as UpstreamRequest['method'];
  const withBody = method === 'POST' || method === 'PATCH' || method === 'PUT';
  const up = await s.upstream.fetch(
    route.registry,
    route.repository,
    path,
    withBody ? { method, headers: pushHeaders(req), body: requestBody(req) } : { method, headers: {} },
    scope,
  );
  const status = up.statusCode ?? 502;
  if (!success.includes(status)) throw await upstreamError(up, 'BLOB_UPLOAD_UNKNOWN', `${route.repository} blob upload`);
  up.resume();
  res.writeHead(status, pushAnswerHeaders(up, route.registry, path)).end();
}

/** `Content-Type`, `Content-Length` and `Content-Range` of a push request, if well formed; nothing else. */
export function pushHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  passIf(out, 'content-type', req.headers['content-type'], CONTENT_TYPE);
  passIf(out, 'content-length', req.headers['content-length'], CONTENT_LENGTH);
  passIf(out, 'content-range', req.headers['content-range'], CONTENT_RANGE);
  return out;
}

/** An empty body as bytes (so a 401 can be answered and the request sent again), any other streamed. */
function requestBody(req: IncomingMessage): Buffer | Readable {
  const length = req.headers['content-length'];
  const empty = req.headers['transfer-encoding'] === undefined && (length === undefined || length === '0');
  return empty ? Buffer.alloc(0) : req;
}

function passIf(out: Record<string, string>, name: string, value: string | string[] | undefined, form: RegExp): void {
  if (typeof value === 'string' && form.test(value.trim())) out[name] = value.trim();
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { isDigest } from '../core/oci/digest.ts';
import { pushScope } from './auth.ts';
import { RegistryError, upstreamError } from './errors.ts';
import { pushAnswerHeaders } from './push-answer.ts';
import { BodyTooLargeError, readBody } from './read-body.ts';
import type { Services } from './server.ts';
import { pushHeaders } from './uploads.ts';

interface ManifestRoute {
  readonly registry: string;
  readonly repository: string;
  readonly reference: string;
}

/**
 * `PUT …/manifests/<tag|digest>`. The manifest is read whole, up to `manifestMaxBytes` (so a 401
 * can be answered and the PUT sent again), and passed on with its `Content-Type`. It is not
 * cached; the tag's cached answer is dropped, so the next pull through the proxy sees the new digest.
 */
export async function pushManifest(req: IncomingMessage, res: ServerResponse, route: ManifestRoute, s: Services): Promise<void> {
  const max = s.config.manifestMaxBytes;
  const tooLarge = () => new RegistryError(400, 'MANIFEST_INVALID', `manifest is larger than this proxy's limit of ${max} bytes`);
  if (Number(req.headers['content-length']) > max) throw tooLarge();
  let bytes: Buffer;
  try {
    bytes = await readBody(req, max);
  } catch (e) {
    if (e instanceof BodyTooLargeError) throw tooLarge();
    throw new RegistryError(400, 'MANIFEST_INVALID', `the manifest's upload ended early: ${(e as Error).message}`);
  }
  const type = pushHeaders(req)['content-type'];
  const path = `${route.repository}/manifests/${route.reference}`;
  const up = await s.upstream.fetch(
    route.registry,
    route.repository,
    path,
    { method: 'PUT', headers: type ? { 'content-type': type } : {}, body: bytes },
    pushScope(route.repository),
  );
  // Whatever the answer, the registry may now hold something else under the tag.
  if (!isDigest(route.reference)) s.tags.delete(`${route.registry}/${route.repository}:${route.reference}`);
  if (up.statusCode !== 201) throw await upstreamError(up, 'NAME_UNKNOWN', `${route.repository}:${route.reference}`);
  up.resume();
  res.writeHead(201, pushAnswerHeaders(up, route.registry, path)).end();
}

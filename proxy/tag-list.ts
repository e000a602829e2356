import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { isTag } from '../core/oci/reference.ts';
import { upstreamError } from './errors.ts';
import type { RequestLog } from './log.ts';
import { upstreamOrigin } from './registry-host.ts';
import type { Services } from './server.ts';

interface TagsRoute {
  readonly registry: string;
  readonly repository: string;
  readonly query: string;
}

/**
 * `GET …/tags/list[?n=&last=]`, passed through uncached (it is a listing, not content). Only
 * well-formed `n` and `last` go upstream; the `Link` to the next page is rewritten to the
 * proxy's path so a client can follow it.
 */
export async function serveTagList(res: ServerResponse, route: TagsRoute, s: Services, log: RequestLog): Promise<void> {
  const given = new URLSearchParams(route.query);
  const query = new URLSearchParams();
  const n = given.get('n');
  if (n !== null && /^\d{1,5}$/.test(n)) query.set('n', n);
  const last = given.get('last');
  if (last !== null && isTag(last)) query.set('last', last);
  const qs = query.toString();
  const up = await s.upstream.fetch(route.registry, route.repository, `${route.repository}/tags/list${qs ? `?${qs}` : ''}`, {
    method: 'GET',
    headers: { accept: 'application/json' },
  });
  if (up.statusCode !== 200) throw await upstreamError(up, 'NAME_UNKNOWN', `${route.repository} tags`);
  const headers: Record<string, string> = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-cache' };
  const length = up.headers['content-length'];
  if (length) headers['Content-Length'] = length;
  const upstreamLink = [up.headers.link ?? []].flat()[0];
  const link = upstreamLink && proxiedLink(upstreamLink, route.registry);
  if (link) headers.Link = link;
  res.writeHead(200, headers);
  up.on('data', (chunk: Buffer) => {
    log.bytes += chunk.length;
  });
  await pipeline(up, res).catch((e: Error) => {
    log.error = `upstream body: ${e.message}`;
  });
}

/** `</v2/<name>/tags/list?last=x&n=2>; rel="next"` → `</v2/<registry>/<name>/tags/list?…>; rel="next"`. */
function proxiedLink(link: string, registry: string): string | undefined {
  const m = /^\s*<([^>]*)>(.*)$/.exec(link);
  if (!m) return undefined;
  const origin = upstreamOrigin(registry);
  const target = new URL(m[1]!, `${origin}/`);
  if (target.origin !== origin || !target.pathname.startsWith('/v2/')) return undefined;
  return `</v2/${registry}/${target.pathname.slice('/v2/'.length)}${target.search}>${m[2]}`;
}

import type { IncomingMessage } from 'node:http';
import type { UpstreamAuth } from './auth.ts';
import { upstreamError } from './errors.ts';
import type { HttpClient, UpstreamRequest } from './http-client.ts';
import { upstreamOrigin } from './registry-host.ts';

/** Requests to real registries, authenticated the way each one asks. */
export class Upstream {
  constructor(
    private readonly http: HttpClient,
    private readonly auth: UpstreamAuth,
  ) {}

  /**
   * `GET|HEAD <origin>/v2/<path>` for a repository (or for the registry itself when
   * `repository` is undefined). A 401 is answered once with the token dance; a second 401
   * becomes a registry-style 401 error. Any other status is returned for the caller to judge.
   */
  async fetch(registry: string, repository: string | undefined, path: string, req: UpstreamRequest): Promise<IncomingMessage> {
    const url = new URL(`${upstreamOrigin(registry)}/v2/${path}`);
    const key = `${registry}/${repository ?? ''}`;
    let authorization = await this.auth.header(registry, key);
    for (let attempt = 0; ; attempt++) {
      const headers = authorization ? { ...req.headers, authorization } : req.headers;
      const res = await this.http.request(url, { ...req, headers });
      if (res.statusCode !== 401) return res;
      if (attempt === 0) {
        let next: string | undefined;
        try {
          next = await this.auth.answer(registry, key, res.headers['www-authenticate']);
        } catch (e) {
          res.resume();
          throw e;
        }
        if (next) {
          res.resume();
          authorization = next;
          continue;
        }
      }
      throw await upstreamError(res, 'UNAUTHORIZED', `${registry}/${path}`);
    }
  }
}

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
   * `<method> <origin>/v2/<path>` for a repository (or for the registry itself when
   * `repository` is undefined). A 401 is answered once with the token dance; a second 401
   * becomes a registry-style 401 error. Any other status is returned for the caller to judge.
   * `scope` is the token scope a push needs, in place of the one the registry's challenge names.
   *
   * A streamed body can be sent only once, so it must not meet a 401: when it is not yet known
   * how the repository authenticates, the registry's ping is asked first, and its challenge answered.
   */
  async fetch(registry: string, repository: string | undefined, path: string, req: UpstreamRequest, scope?: string): Promise<IncomingMessage> {
    const url = new URL(`${upstreamOrigin(registry)}/v2/${path}`);
    const key = `${registry}/${repository ?? ''}`;
    const once = req.body !== undefined && !Buffer.isBuffer(req.body);
    if (once && !this.auth.knows(key)) await this.learn(registry, key, scope);
    let authorization = await this.auth.header(registry, key, scope);
    for (let attempt = 0; ; attempt++) {
      const headers = authorization ? { ...req.headers, authorization } : req.headers;
      const res = await this.http.request(url, { ...req, headers });
      if (res.statusCode !== 401) {
        if (!authorization) this.auth.answeredOpenly(key);
        return res;
      }
      if (attempt === 0 && !once) {
        const next = await this.answer(res, registry, key, scope);
        if (next) {
          authorization = next;
          continue;
        }
      }
      throw await upstreamError(res, 'UNAUTHORIZED', `${registry}/${path}`);
    }
  }

  /** Pings the registry without credentials; a 401 there carries the challenge to answer. */
  private async learn(registry: string, key: string, scope: string | undefined): Promise<void> {
    const ping = await this.http.request(new URL(`${upstreamOrigin(registry)}/v2/`), { method: 'GET', headers: { accept: 'application/json' } });
    if (ping.statusCode !== 401) {
      ping.resume();
      if (ping.statusCode === 200) this.auth.answeredOpenly(key);
      return;
    }
    if (!(await this.answer(ping, registry, key, scope))) ping.resume();
  }

  /** The `Authorization` that answers a 401's challenge. The 401's body is kept to report it when there is none. */
  private async answer(res: IncomingMessage, registry: string, key: string, scope: string | undefined): Promise<string | undefined> {
    let next: string | undefined;
    try {
      next = await this.auth.answer(registry, key, res.headers['www-authenticate'], scope);
    } catch (e) {
      res.resume();
      throw e;
    }
    if (next) res.resume();
    return next;
  }
}

import { TokenCache, tokenKey, tokenRequestUrl } from '../core/oci/registry-token.ts';
import { type AuthChallenge, parseWwwAuthenticate } from '../core/oci/www-authenticate.ts';
import type { RegistryCredentials } from './config.ts';
import { RegistryError } from './errors.ts';
import type { HttpClient } from './http-client.ts';
import { readBody } from './read-body.ts';
import { upstreamOrigin } from './registry-host.ts';

const TOKEN_BODY_MAX = 64 * 1024;

/**
 * The token scope a push to `repository` needs, as Docker asks for it; a cross-repository mount
 * also needs pull on the repository it mounts `from`.
 */
export function pushScope(repository: string, from?: string): string {
  return `repository:${repository}:push,pull${from ? ` repository:${from}:pull` : ''}`;
}

/**
 * The upstream side of registry auth (distribution token spec, RFC 6750): remembers each
 * repository's challenge so later requests carry a token from the start, fetches tokens
 * (anonymously, or with the service account configured for that registry) and caches them per
 * (realm, service, scope) until shortly before they expire. Concurrent requests for the same
 * token share one token request. Pulls ask for the scope the registry's challenge names; pushes
 * name their own (`pushScope`), since a streamed upload can't be sent again after a 401.
 */
export class UpstreamAuth {
  private readonly challenges = new Map<string, AuthChallenge>();
  private readonly tokens = new TokenCache();
  private readonly pending = new Map<string, Promise<string>>();
  private readonly open = new Set<string>();

  constructor(
    private readonly http: HttpClient,
    private readonly credentials: Readonly<Record<string, RegistryCredentials>>,
  ) {}

  /**
   * `Authorization` to send up front, if this repository (`key`) was challenged before. `scope`
   * replaces the challenge's (a push asks for `repository:<name>:pull,push`, which a registry's
   * challenge to an earlier pull did not name).
   */
  async header(registry: string, key: string, scope?: string): Promise<string | undefined> {
    const c = this.challenges.get(key);
    return c ? this.authorization(registry, withScope(c, scope)) : undefined;
  }

  /**
   * After a 401: learns the challenge and returns the `Authorization` to retry with, or
   * undefined if it can't be answered (Basic without credentials, an unknown scheme).
   */
  async answer(registry: string, key: string, wwwAuthenticate: string | undefined, scope?: string): Promise<string | undefined> {
    const parsed = parseWwwAuthenticate(wwwAuthenticate ?? '');
    const next = parsed.find((c) => c.scheme === 'bearer' && c.params.realm) ?? parsed.find((c) => c.scheme === 'basic');
    if (!next) return undefined;
    // A cached token was just refused (expired early, or revoked): fetch a fresh one.
    const previous = this.challenges.get(key);
    if (previous?.scheme === 'bearer') this.tokens.delete(this.tokenKey(registry, withScope(previous, scope)));
    this.challenges.set(key, next);
    this.open.delete(key);
    return this.authorization(registry, withScope(next, scope));
  }

  /** Records that `key` answered a request without credentials (so it needs none, for now). */
  answeredOpenly(key: string): void {
    this.open.add(key);
  }

  /** Whether it is known how `key` wants requests authenticated: with a challenge's answer, or not at all. */
  knows(key: string): boolean {
    return this.challenges.has(key) || this.open.has(key);
  }

  private async authorization(registry: string, c: AuthChallenge): Promise<string | undefined> {
    const creds = this.credentials[registry];
    if (c.scheme === 'basic') return creds ? basic(creds) : undefined;
    const key = this.tokenKey(registry, c);
    const cached = this.tokens.get(key);
    if (cached) return `Bearer ${cached}`;
    let p = this.pending.get(key);
    if (!p) {
      p = this.fetchToken(registry, c, key).finally(() => this.pending.delete(key));
      this.pending.set(key, p);
    }
    return `Bearer ${await p}`;
  }

  private async fetchToken(registry: string, c: AuthChallenge, key: string): Promise<string> {
    let realm: URL;
    try {
      realm = new URL(c.params.realm ?? '');
    } catch {
      throw new RegistryError(502, 'UNAVAILABLE', `${registry} sent an invalid token realm`);
    }
    if (realm.protocol !== 'https:' && realm.protocol !== 'http:') {
      throw new RegistryError(502, 'UNAVAILABLE', `${registry} sent a token realm that is not http(s)`);
    }
    if (realm.protocol === 'http:' && upstreamOrigin(registry).startsWith('https:')) {
      throw new RegistryError(502, 'UNAVAILABLE', `${registry} asks for tokens over plain http; refusing`);
    }
    const url = tokenRequestUrl(realm, c);
    const creds = this.credentials[registry];
    const headers: Record<string, string> = { accept: 'application/json', ...(creds ? { authorization: basic(creds) } : {}) };
    const res = await this.http.request(url, { method: 'GET', headers });
    if (res.statusCode !== 200) {
      res.resume();
      const status = res.statusCode ?? 502;
      throw status >= 500
        ? new RegistryError(502, 'UNAVAILABLE', `token server ${url.host} answered HTTP ${status}`)
        : new RegistryError(401, 'UNAUTHORIZED', `token server ${url.host} refused the request (HTTP ${status})`);
    }
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse((await readBody(res, TOKEN_BODY_MAX)).toString('utf8'));
    } catch {
      throw new RegistryError(502, 'UNAVAILABLE', `token server ${url.host} sent an unreadable answer`);
    }
    // `access_token` is the OAuth spelling of the same thing; either may be present.
    const token = typeof body.token === 'string' && body.token ? body.token : body.access_token;
    if (typeof token !== 'string' || !token) {
      throw new RegistryError(502, 'UNAVAILABLE', `token server ${url.host} sent no token`);
    }
    this.tokens.set(key, token, typeof body.expires_in === 'number' ? body.expires_in : undefined);
    return token;
  }

  private tokenKey(registry: string, c: AuthChallenge): string {
    // The account is part of the key: two registries sharing a realm may use different accounts.
    const who = this.credentials[registry]?.username ?? '';
    return `${tokenKey(c)}\n${who}`;
  }
}

function withScope(c: AuthChallenge, scope: string | undefined): AuthChallenge {
  return scope && c.scheme === 'bearer' ? { scheme: c.scheme, params: { ...c.params, scope } } : c;
}

function basic(c: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

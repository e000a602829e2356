// The distribution token spec's side shared by the engine's registry client and the proxy: which
// token a Bearer challenge asks for, where to ask for it, and keeping it until it expires. How
// each fetches it (browser fetch, Node http) and reports failures stays with each.
import type { AuthChallenge } from './www-authenticate.ts';

/** The token request for a Bearer challenge: its realm with `service` and one `scope` per scope. */
export function tokenRequestUrl(realm: URL, c: AuthChallenge): URL {
  const url = new URL(realm);
  if (c.params.service) url.searchParams.set('service', c.params.service);
  for (const s of (c.params.scope ?? '').split(' ').filter(Boolean)) url.searchParams.append('scope', s);
  return url;
}

/** The cache key of the token a challenge asks for: its (realm, service, scope). */
export function tokenKey(c: AuthChallenge): string {
  return `${c.params.realm ?? ''}\n${c.params.service ?? ''}\n${c.params.scope ?? ''}`;
}

/** Bearer tokens by `tokenKey`, kept until shortly before they expire. */
export class TokenCache {
  private readonly tokens = new Map<string, { token: string; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  get(key: string): string | undefined {
    const t = this.tokens.get(key);
    if (!t) return undefined;
    if (t.expiresAt <= this.now()) {
      this.tokens.delete(key);
      return undefined;
    }
    return t.token;
  }

  /** `expiresInSeconds` defaults to 60, as the token spec says; renew 10 s early to absorb clock skew. */
  set(key: string, token: string, expiresInSeconds = 60): void {
    const ttl = Math.max(1, expiresInSeconds - 10) * 1000;
    this.tokens.set(key, { token, expiresAt: this.now() + ttl });
  }

  delete(key: string): void {
    this.tokens.delete(key);
  }
}

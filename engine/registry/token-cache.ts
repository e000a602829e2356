/** Bearer tokens per (realm, service, scope), kept until shortly before they expire. */
export class TokenCache {
  private readonly tokens = new Map<string, { token: string; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  static key(realm: string, service: string | undefined, scope: string | undefined): string {
    return `${realm}\n${service ?? ''}\n${scope ?? ''}`;
  }

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

/**
 * What each tag pointed to when last asked (`<registry>/<repository>:<tag>` → digest). Tags
 * move, so an answer is reused only for `ttlSeconds`; after that the upstream is asked again
 * with a HEAD, which Docker Hub does not count against its pull rate limit. Entries live in
 * memory, at most `maxEntries` of them, oldest dropped first.
 */
export class TagCache {
  private readonly entries = new Map<string, { digest: string; expiresAt: number }>();

  constructor(
    private readonly ttlSeconds: number,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  fresh(key: string): string | undefined {
    const e = this.entries.get(key);
    return e && e.expiresAt > this.now() ? e.digest : undefined;
  }

  /** Forgets a tag that was just pushed, so the next pull asks the registry where it points now. */
  delete(key: string): void {
    this.entries.delete(key);
  }

  set(key: string, digest: string): void {
    this.entries.delete(key);
    this.entries.set(key, { digest, expiresAt: this.now() + this.ttlSeconds * 1000 });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
    }
  }
}

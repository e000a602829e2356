/**
 * The host's files as the CLI sees them in a browser: an in-memory map from path to bytes, where
 * `docker save -o` writes and `docker load -i` reads. Paths are kept as given, minus a leading `./`.
 */
export class VirtualFiles {
  private readonly files = new Map<string, Uint8Array>();

  private static key(path: string): string {
    return path.trim().replace(/^(\.\/)+/, '');
  }

  get(path: string): Uint8Array | undefined {
    return this.files.get(VirtualFiles.key(path));
  }

  set(path: string, bytes: Uint8Array): void {
    this.files.set(VirtualFiles.key(path), bytes);
  }

  /** Paths in sorted order. */
  list(): string[] {
    return [...this.files.keys()].sort();
  }
}

/**
 * The host's files as the CLI sees them in a browser: an in-memory map from path to bytes, where
 * `docker save -o` writes and `docker load -i` reads, and `docker cp` copies files and trees (a
 * directory is the files below it). Paths are kept as given, minus a leading `./`.
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

  delete(path: string): boolean {
    return this.files.delete(VirtualFiles.key(path));
  }

  /** Whether `path` is a directory: `.`, or a path some file lies below. */
  isDir(path: string): boolean {
    const dir = VirtualFiles.key(path).replace(/\/+$/, '');
    if (dir === '' || dir === '.') return true;
    return [...this.files.keys()].some((k) => k.startsWith(`${dir}/`));
  }

  /** The files below directory `path`, as paths relative to it, sorted. */
  under(path: string): string[] {
    const dir = VirtualFiles.key(path).replace(/\/+$/, '');
    if (dir === '' || dir === '.') return this.list();
    return this.list()
      .filter((k) => k.startsWith(`${dir}/`))
      .map((k) => k.slice(dir.length + 1));
  }

  /** Paths in sorted order. */
  list(): string[] {
    return [...this.files.keys()].sort();
  }
}

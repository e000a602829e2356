// A process's open file descriptors: 0-2 are stdio, 3 is the preopened root directory.
import { E, fail } from '../fs/errno.ts';
import type { DirNode, FileNode } from '../fs/nodes.ts';

export class StdioFd {
  readonly kind = 'stdio';
  flags = 0;
  constructor(readonly stream: 0 | 1 | 2) {}
}

export class FileFd {
  readonly kind = 'file';
  pos = 0;
  constructor(
    readonly node: FileNode,
    public rights: bigint,
    public inheriting: bigint,
    public flags: number,
    readonly readable: boolean,
    readonly writable: boolean,
  ) {}
}

export interface DirListing {
  readonly name: string;
  readonly ino: number;
  readonly type: number;
}

export class DirFd {
  readonly kind = 'dir';
  /** Entries as of the last read from cookie 0, so a listing in progress stays stable. */
  listing: DirListing[] = [];
  constructor(
    readonly node: DirNode,
    public rights: bigint,
    public inheriting: bigint,
    /** The name a preopened directory is announced under. */
    readonly preopen?: string,
  ) {}
}

export type OpenFd = StdioFd | FileFd | DirFd;

export class FdTable {
  private readonly fds = new Map<number, OpenFd>();

  constructor(stdio: readonly OpenFd[], root: DirFd) {
    stdio.forEach((f, i) => this.fds.set(i, f));
    this.fds.set(3, root);
  }

  get(fd: number): OpenFd {
    return this.fds.get(fd) ?? fail(E.BADF);
  }

  dir(fd: number): DirFd {
    const f = this.get(fd);
    return f.kind === 'dir' ? f : fail(E.NOTDIR);
  }

  /** The lowest free number, as POSIX open() picks. */
  add(f: OpenFd): number {
    let n = 0;
    while (this.fds.has(n)) n++;
    this.fds.set(n, f);
    return n;
  }

  remove(fd: number): OpenFd {
    const f = this.get(fd);
    this.fds.delete(fd);
    return f;
  }

  renumber(from: number, to: number): void {
    const f = this.get(from);
    this.get(to);
    this.fds.set(to, f);
    this.fds.delete(from);
  }
}

// A process's open file descriptors: 0-2 are stdio, 3 is the preopened root directory, 4 on
// are the listening sockets of spec.network.listenPorts, in that order.
import { E, fail } from '../fs/errno.ts';
import type { DirNode, FileNode } from '../fs/nodes.ts';
import type { SocketConnection } from './socket-connection.ts';
import type { Listener } from './socket-hub.ts';

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

/** A preopened listening socket (`sock_accept` takes its connections). */
export class ListenFd {
  readonly kind = 'listen';
  constructor(
    readonly listener: Listener,
    public flags: number,
  ) {}
}

/** An accepted connection. */
export class SocketFd {
  readonly kind = 'socket';
  constructor(
    readonly conn: SocketConnection,
    public flags: number,
  ) {}
}

export type OpenFd = StdioFd | FileFd | DirFd | ListenFd | SocketFd;

export class FdTable {
  private readonly fds = new Map<number, OpenFd>();

  constructor(stdio: readonly OpenFd[], root: DirFd, listening: readonly ListenFd[] = []) {
    stdio.forEach((f, i) => this.fds.set(i, f));
    this.fds.set(3, root);
    listening.forEach((f, i) => this.fds.set(4 + i, f));
  }

  has(fd: number): boolean {
    return this.fds.has(fd);
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

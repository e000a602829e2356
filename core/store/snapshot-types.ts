import type { Digest } from '../oci/digest.ts';

export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | 'whiteout' | 'opaque';

/**
 * One entry of a layer's diff. Paths are absolute and normalised (`/etc/passwd`).
 * `whiteout` deletes `path` from lower layers; `opaque` hides all lower children of directory `path`.
 * A `hardlink` names the path it links to in `linkTarget`; it is resolved when layers are stacked.
 */
export interface LayerEntry {
  readonly path: string;
  readonly type: EntryType;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Seconds since the epoch. */
  readonly mtime: number;
  readonly size?: number;
  /** sha256 of the contents, hex; regular files only. */
  readonly sha?: string;
  readonly linkTarget?: string;
  readonly devMajor?: number;
  readonly devMinor?: number;
}

/** A snapshot is one layer applied on its parent; its key, the ChainID, names the whole stack. */
export interface SnapshotRecord {
  readonly chainId: Digest;
  readonly diffId: Digest;
  readonly parent?: Digest;
  readonly entries: readonly LayerEntry[];
  /** Bytes of regular-file contents in this layer. */
  readonly size: number;
  readonly createdAt: number;
}

/** An entry of a merged (stacked) root filesystem. Hardlinks are resolved to files sharing content. */
export interface TreeEntry {
  readonly path: string;
  readonly type: Exclude<EntryType, 'whiteout' | 'opaque' | 'hardlink'>;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtime: number;
  readonly size?: number;
  readonly sha?: string;
  readonly linkTarget?: string;
  readonly hardlinkTo?: string;
  readonly devMajor?: number;
  readonly devMinor?: number;
}

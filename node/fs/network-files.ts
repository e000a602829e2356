// /etc/hosts, /etc/hostname and /etc/resolv.conf as Docker bind-mounts them: files of their own
// over whatever the image has there, writable, kept in memory only (never in the writable layer).

import type { ProcessSpec } from '../../core/protocol.ts';
import type { ContainerFs } from './container-fs.ts';
import { Mount } from './mount.ts';
import { Content, FileNode, nowNs } from './nodes.ts';

const enc = new TextEncoder();

/** Adds the three files when the spec has networking (every container the engine starts has). */
export function addNetworkFiles(fs: ContainerFs, spec: ProcessSpec, rootMount: Mount, dev: bigint): void {
  if (!spec.network) return;
  const files: [string, string][] = [
    ['hosts', spec.network.hosts],
    ['hostname', `${spec.hostname}\n`],
    ['resolv.conf', spec.network.resolvConf],
  ];
  const etc = fs.ensureDir('/etc', rootMount);
  // Like Docker's bind mounts, one mount for the three: no scope, so nothing is persisted.
  const mount = new Mount(undefined, false, undefined, dev);
  fs.mounts.push(mount);
  const t = nowNs();
  for (const [name, text] of files) {
    const bytes = enc.encode(text);
    const content = new Content(undefined, bytes.length);
    content.buf = bytes;
    etc.add(name, new FileNode(mount, { mode: 0o644, uid: 0, gid: 0, atime: t, mtime: t, ctime: t }, content));
  }
}

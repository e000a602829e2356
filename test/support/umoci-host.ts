// The host's view of an image in a registry, as the OCI tools have it (Node only): `skopeo copy`
// into an OCI layout, `umoci unpack` of it, and the unpacked root filesystem walked path by path.
// As root, umoci keeps the layers' owners; otherwise it unpacks --rootless (every file the
// caller's), and `rootless` says the owners are not the image's.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';

const execFileP = promisify(execFile);

/** One path of an unpacked root filesystem. */
export interface HostEntry {
  type: 'file' | 'dir' | 'symlink' | 'other';
  /** permission bits incl. setuid/setgid/sticky (mode & 0o7777) */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  sha256?: string;
  linkTarget?: string;
  ino: number;
  nlink: number;
}

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

export interface HostImage {
  /** The unpacked root filesystem: '/etc/passwd' → its entry ('/' itself is left out). */
  tree: Map<string, HostEntry>;
  /** The image manifest in the OCI layout. */
  manifest: { config: Descriptor; layers: Descriptor[] };
  /** The image config in the OCI layout. */
  config: { os: string; rootfs: { type: string; diff_ids: string[] }; history?: { empty_layer?: boolean }[] };
  /** sha256 of each layer blob, uncompressed, computed here: what the diff_ids must be. */
  uncompressedDigests: string[];
  /** Whether umoci ran --rootless (not root): owners then are the caller's, not the image's. */
  rootless: boolean;
  /** Removes the layout and the bundle. */
  remove(): Promise<void>;
}

const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A directory's tree as `lstat` sees it, path by path ('/etc/passwd'; the root itself left out). */
export async function walkTree(root: string): Promise<Map<string, HostEntry>> {
  const tree = new Map<string, HostEntry>();
  const visit = async (dir: string, rel: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const abs = path.join(dir, name);
      const p = `${rel}/${name}`;
      const st = await lstat(abs);
      const e: HostEntry = { type: 'other', mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, size: st.size, ino: st.ino, nlink: st.nlink };
      if (st.isFile())
        Object.assign(e, {
          type: 'file',
          sha256: createHash('sha256')
            .update(await readFile(abs))
            .digest('hex'),
        });
      else if (st.isDirectory()) e.type = 'dir';
      else if (st.isSymbolicLink()) Object.assign(e, { type: 'symlink', linkTarget: await readlink(abs) });
      tree.set(p, e);
      if (e.type === 'dir') await visit(abs, p);
    }
  };
  await visit(root, '');
  return tree;
}

/** Copies `ref` (host:port/repo:tag on a plain-HTTP registry) to an OCI layout and unpacks it. */
export async function unpackFromRegistry(ref: string): Promise<HostImage> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'umoci-host-'));
  const layout = path.join(dir, 'layout');
  const bundle = path.join(dir, 'bundle');
  const rootless = process.getuid?.() !== 0;
  try {
    await execFileP('skopeo', ['--insecure-policy', 'copy', '-q', '--src-tls-verify=false', `docker://${ref}`, `oci:${layout}:img`]);
    const blob = (d: string) => readFile(path.join(layout, 'blobs', ...d.split(':')));
    const index = JSON.parse(await readFile(path.join(layout, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
    const manifest = JSON.parse((await blob(index.manifests[0]!.digest)).toString('utf8')) as HostImage['manifest'];
    const config = JSON.parse((await blob(manifest.config.digest)).toString('utf8')) as HostImage['config'];
    // `umoci unpack` also writes a runtime-spec config.json, which it can make for Linux only; for
    // another OS (wasi) `raw unpack` unpacks the same layers, the same way, without it.
    const flags = [...(rootless ? ['--rootless'] : []), '--image', `${layout}:img`];
    if (config.os === 'linux') await execFileP('umoci', ['unpack', ...flags, bundle]);
    else {
      await mkdir(bundle);
      await execFileP('umoci', ['raw', 'unpack', ...flags, path.join(bundle, 'rootfs')]);
    }
    const uncompressedDigests: string[] = [];
    for (const l of manifest.layers) {
      const bytes = await blob(l.digest);
      uncompressedDigests.push(sha256(/gzip/.test(l.mediaType) ? gunzipSync(bytes) : bytes));
    }
    return {
      tree: await walkTree(path.join(bundle, 'rootfs')),
      manifest,
      config,
      uncompressedDigests,
      rootless,
      remove: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

/** The manifest the registry serves for `repo:tag` (host:port, plain HTTP), parsed, and the digest of its bytes. */
export async function registryManifest(registry: string, repo: string, tag: string): Promise<{ digest: string; layers: Descriptor[] }> {
  const res = await fetch(`http://${registry}/v2/${repo}/manifests/${tag}`, {
    headers: { Accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
  });
  if (!res.ok) throw new Error(`GET manifest ${repo}:${tag}: HTTP ${res.status}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  return { digest: sha256(bytes), layers: (JSON.parse(new TextDecoder().decode(bytes)) as { layers: Descriptor[] }).layers };
}

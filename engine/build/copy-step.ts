import type { LayerEntry } from '../../core/store/snapshot-types.ts';
import { BuildStepError } from './build-errors.ts';
import { layerTar } from './layer-tar.ts';

export interface CopyOptions {
  /** `--chown=uid[:gid]` (numeric, or `root`). */
  readonly chown?: string;
  /** `--chmod=0755`. */
  readonly chmod?: string;
  /** SOURCE_DATE_EPOCH, else now. */
  readonly mtime?: number;
  /** WORKDIR: the directory itself is the step's one change. */
  readonly mkdir?: boolean;
}

function owner(chown: string | undefined): { uid: number; gid: number } {
  if (chown === undefined) return { uid: 0, gid: 0 };
  const [u, g] = chown.split(':');
  const id = (s: string | undefined, fallback: number) => (s === undefined || s === '' ? fallback : s === 'root' ? 0 : /^\d+$/.test(s) ? Number(s) : NaN);
  const uid = id(u, 0);
  const gid = id(g, uid);
  if (Number.isNaN(uid) || Number.isNaN(gid))
    throw new BuildStepError(`unable to convert uid/gid chown string to host mapping: ${chown}: only numeric IDs and root are known to the builder`);
  return { uid, gid };
}

/**
 * What COPY/ADD (or WORKDIR's mkdir) adds, as a layer tar: each file at its destination with its
 * parent directories. Files are given with their bytes; the tar is the layer.
 */
export async function copyLayer(files: readonly { to: string; data: Uint8Array }[], dir: string | undefined, opts: CopyOptions): Promise<Uint8Array> {
  const mtime = opts.mtime ?? Math.floor(Date.now() / 1000);
  const { uid, gid } = owner(opts.chown);
  const mode = opts.chmod !== undefined ? Number.parseInt(opts.chmod, 8) : undefined;
  if (mode !== undefined && (Number.isNaN(mode) || mode > 0o7777)) throw new BuildStepError(`invalid chmod parameter: ${opts.chmod}`);
  const entries = new Map<string, LayerEntry>();
  const addDirs = (path: string, last: boolean) => {
    const parts = path.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length - (last ? 0 : 1); i++) {
      const p = `/${parts.slice(0, i).join('/')}`;
      if (!entries.has(p)) entries.set(p, { path: p, type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime });
    }
  };
  if (dir !== undefined && opts.mkdir) addDirs(dir, true);
  const contents = new Map<string, Uint8Array>();
  for (const f of files) {
    addDirs(f.to, false);
    const sha = `${contents.size}`;
    contents.set(sha, f.data);
    entries.set(f.to, { path: f.to, type: 'file', mode: mode ?? 0o644, uid, gid, mtime, size: f.data.byteLength, sha });
  }
  return layerTar([...entries.values()], async (sha) => contents.get(sha), { mtime });
}

import { type TarWriteEntry, writeTarEntries } from '../../core/archive/tar-writer.ts';
import { NotFoundError } from '../../core/errors.ts';
import type { LayerEntry } from '../../core/store/snapshot-types.ts';

/** OCI whiteouts: `.wh.NAME` deletes NAME below; `.wh..wh..opq` in a directory hides all below it. */
const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

/**
 * A layer's entries (a container's writable layer, or what a COPY adds) as the layer tar an image
 * carries: entries in path order, a parent before its children, whiteouts for deletions, file
 * contents read by sha256. `mtime`, when given, clamps every time (SOURCE_DATE_EPOCH).
 */
export async function layerTar(
  entries: readonly LayerEntry[],
  content: (sha: string) => Promise<Uint8Array | undefined>,
  opts: { mtime?: number } = {},
): Promise<Uint8Array> {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const clamp = (t: number) => (opts.mtime === undefined ? t : Math.min(t, opts.mtime));
  const out: TarWriteEntry[] = [];
  for (const e of sorted) {
    const name = e.path.replace(/^\/+/, '');
    if (!name) continue;
    const common = { mode: e.mode & 0o7777, uid: e.uid, gid: e.gid, mtime: clamp(e.mtime) };
    const slash = name.lastIndexOf('/');
    const dir = slash < 0 ? '' : name.slice(0, slash + 1);
    const base = name.slice(slash + 1);
    switch (e.type) {
      case 'whiteout':
        out.push({ name: `${dir}${WHITEOUT}${base}`, type: 'file', ...common, mode: 0o644, data: new Uint8Array(0) });
        break;
      case 'opaque':
        out.push({ name: `${name}/`, type: 'dir', ...common }, { name: `${name}/${OPAQUE}`, type: 'file', ...common, mode: 0o644, data: new Uint8Array(0) });
        break;
      case 'file': {
        const data = e.size ? await content(e.sha!) : new Uint8Array(0);
        if (!data) throw new NotFoundError(`content of ${e.path} (sha256:${e.sha}) is missing from the store`);
        out.push({ name, type: 'file', ...common, data });
        break;
      }
      case 'dir':
        out.push({ name, type: 'dir', ...common });
        break;
      case 'symlink':
        out.push({ name, type: 'symlink', ...common, linkTarget: e.linkTarget ?? '' });
        break;
      case 'hardlink':
        out.push({ name, type: 'hardlink', ...common, linkTarget: (e.linkTarget ?? '').replace(/^\/+/, '') });
        break;
      default:
        out.push({
          name,
          type: e.type,
          ...common,
          ...(e.devMajor !== undefined ? { devMajor: e.devMajor } : {}),
          ...(e.devMinor !== undefined ? { devMinor: e.devMinor } : {}),
        });
    }
  }
  return writeTarEntries(out);
}

import { LayerFormatError } from '../errors.ts';
import type { FileSink } from '../store/file-store.ts';
import type { LayerEntry } from '../store/snapshot-types.ts';
import { baseName, normalizeEntryPath, parentOf } from './paths.ts';
import type { TarEntry } from './tar-reader.ts';

const WH = '.wh.';
const OPQ = '.wh..wh..opq';

/**
 * Turns a layer's tar entries into LayerEntries, storing file contents through `sink`.
 * Whiteout files become `whiteout`/`opaque` entries; everything is checked against the lower
 * layers later, when the layer is stacked (see MergedTree).
 */
export async function readLayerEntries(tar: AsyncIterable<TarEntry>, sink: FileSink): Promise<{ entries: LayerEntry[]; size: number }> {
  const entries: LayerEntry[] = [];
  let size = 0;
  for await (const { header: h, body } of tar) {
    const path = normalizeEntryPath(h.name);
    if (path === '/') continue;
    const base = baseName(path);
    const common = { mode: h.mode, uid: h.uid, gid: h.gid, mtime: h.mtime };
    if (base.startsWith(WH)) {
      if (base === OPQ) entries.push({ path: parentOf(path), type: 'opaque', ...common });
      else if (base === WH) throw new LayerFormatError(`invalid whiteout entry ${JSON.stringify(h.name)}`);
      else entries.push({ path: `${parentOf(path) === '/' ? '' : parentOf(path)}/${base.slice(WH.length)}`, type: 'whiteout', ...common });
      continue;
    }
    switch (h.type) {
      case 'file': {
        const sha = await sink.write(h.size, body);
        size += h.size;
        entries.push({ path, type: 'file', ...common, size: h.size, sha });
        break;
      }
      case 'hardlink':
        entries.push({ path, type: 'hardlink', ...common, linkTarget: normalizeEntryPath(h.linkName) });
        break;
      case 'symlink':
        entries.push({ path, type: 'symlink', ...common, linkTarget: h.linkName });
        break;
      case 'char':
      case 'block':
        // Device nodes are kept as metadata only; nothing in the browser can open a host device.
        entries.push({ path, type: h.type, ...common, devMajor: h.devMajor, devMinor: h.devMinor });
        break;
      default:
        entries.push({ path, type: h.type, ...common });
    }
  }
  return { entries, size };
}

import { DecompressionLimitError } from '../../core/errors.ts';
import { gunzipAll } from '../../core/unpack/decompress.ts';
import { isUnder, normalizeEntryPath } from '../../core/unpack/paths.ts';
import { tarEntries } from '../../core/unpack/tar-files.ts';
import { BuildStepError } from './build-errors.ts';
import type { CopiedEntry } from './copy-step.ts';

const isGzip = (b: Uint8Array) => b[0] === 0x1f && b[1] === 0x8b;
const isTar = (b: Uint8Array) => b.byteLength >= 512 && new TextDecoder().decode(b.subarray(257, 262)) === 'ustar';

/**
 * ADD of a local tar (plain or gzip): its entries, unpacked under `dir` with their modes, owners
 * and times, hard links kept, as Docker's ADD does; or undefined when the source is not an
 * archive (then it is copied as it is). Device nodes and FIFOs are left out. Entries that climb out of `dir` are refused.
 */
export async function addArchiveEntries(data: Uint8Array, dir: string): Promise<CopiedEntry[] | undefined> {
  // A gzip file that does not inflate is copied as it is, as Docker's ADD does; a bomb stops the build.
  const tar = isGzip(data) ? await gunzipAll(data).catch((e) => (e instanceof DecompressionLimitError ? Promise.reject(e) : undefined)) : data;
  if (!tar || !isTar(tar)) return undefined;
  const out: CopiedEntry[] = [];
  const files = new Map<string, CopiedEntry>();
  const under = (name: string) => {
    const to = normalizeEntryPath(`${dir}/${name}`);
    if (to !== dir && !isUnder(to, dir)) throw new BuildStepError(`ADD: archive entry ${name} climbs out of ${dir}`);
    return to;
  };
  for (const { header: h, data: bytes } of await tarEntries(tar)) {
    const to = under(h.name);
    // `./` itself: the destination directory is the step's, not the archive's.
    if (to === dir) continue;
    const meta = { to, mode: h.mode & 0o7777, uid: h.uid, gid: h.gid, mtime: h.mtime };
    if (h.type === 'file') {
      const file: CopiedEntry = { ...meta, type: 'file', data: bytes };
      files.set(to, file);
      out.push(file);
    } else if (h.type === 'dir') out.push({ ...meta, type: 'dir' });
    else if (h.type === 'symlink') out.push({ ...meta, type: 'symlink', linkTarget: h.linkName });
    else if (h.type === 'hardlink') {
      const target = files.get(under(h.linkName));
      if (target?.type !== 'file') throw new BuildStepError(`ADD: archive entry ${h.name} links to ${h.linkName}, which the archive does not hold before it`);
      // One inode: the link has the file's mode and owner, whatever its own header says.
      out.push({ to, mode: target.mode, uid: target.uid, gid: target.gid, mtime: target.mtime, type: 'hardlink', linkTarget: target.to });
    }
  }
  return out;
}

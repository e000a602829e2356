import { DecompressionLimitError } from '../../core/errors.ts';
import { gunzipAll } from '../../core/unpack/decompress.ts';
import { isUnder, normalizeEntryPath } from '../../core/unpack/paths.ts';
import { tarFiles } from '../../core/unpack/tar-files.ts';
import { BuildStepError } from './build-errors.ts';

const isGzip = (b: Uint8Array) => b[0] === 0x1f && b[1] === 0x8b;
const isTar = (b: Uint8Array) => b.byteLength >= 512 && new TextDecoder().decode(b.subarray(257, 262)) === 'ustar';

/**
 * ADD of a local tar (plain or gzip): its files, unpacked under `dir`, as Docker's ADD does; or
 * undefined when the source is not an archive (then it is copied as it is). Entries that climb
 * out of `dir` are refused.
 */
export async function addArchiveFiles(data: Uint8Array, dir: string): Promise<{ to: string; data: Uint8Array }[] | undefined> {
  // A gzip file that does not inflate is copied as it is, as Docker's ADD does; a bomb stops the build.
  const tar = isGzip(data) ? await gunzipAll(data).catch((e) => (e instanceof DecompressionLimitError ? Promise.reject(e) : undefined)) : data;
  if (!tar || !isTar(tar)) return undefined;
  const out: { to: string; data: Uint8Array }[] = [];
  for (const f of await tarFiles(tar)) {
    const to = normalizeEntryPath(`${dir}/${f.name}`);
    if (!isUnder(to, dir)) throw new BuildStepError(`ADD: archive entry ${f.name} climbs out of ${dir}`);
    out.push({ to, data: f.data });
  }
  return out;
}

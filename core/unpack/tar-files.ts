import { readTar } from './tar-reader.ts';

/** The regular files of a tar held in memory, in archive order (directories and links skipped). */
export async function tarFiles(tar: Uint8Array): Promise<{ name: string; data: Uint8Array }[]> {
  const out: { name: string; data: Uint8Array }[] = [];
  for await (const { header, body } of readTar(
    (async function* () {
      yield tar;
    })(),
  )) {
    const data = new Uint8Array(header.type === 'file' ? header.size : 0);
    let at = 0;
    for await (const piece of body) {
      if (header.type !== 'file') continue;
      data.set(piece, at);
      at += piece.byteLength;
    }
    if (header.type === 'file') out.push({ name: header.name, data });
  }
  return out;
}

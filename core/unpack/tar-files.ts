import { readTar, type TarHeader } from './tar-reader.ts';

/** The entries of a tar held in memory, in archive order, each with its contents. */
export async function tarEntries(tar: Uint8Array): Promise<{ header: TarHeader; data: Uint8Array }[]> {
  const out: { header: TarHeader; data: Uint8Array }[] = [];
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
    out.push({ header, data });
  }
  return out;
}

/** The regular files of a tar held in memory, in archive order (directories and links skipped). */
export async function tarFiles(tar: Uint8Array): Promise<{ name: string; data: Uint8Array }[]> {
  return (await tarEntries(tar)).filter((e) => e.header.type === 'file').map((e) => ({ name: e.header.name, data: e.data }));
}

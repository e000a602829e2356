// A writable layer's entries as an image layer tar: deletions as OCI whiteouts, an opaque
// directory's marker, links and devices, parents before children, and SOURCE_DATE_EPOCH's clamp;
// read back with the same tar reader a pull uses.
import { describe, expect, it } from 'vitest';
import type { LayerEntry } from '../../../core/store/snapshot-types.ts';
import { readTar } from '../../../core/unpack/tar-reader.ts';
import { layerTar } from '../../../engine/build/layer-tar.ts';

const base = { mode: 0o644, uid: 0, gid: 0, mtime: 2_000_000_000 };

async function entries(tar: Uint8Array) {
  const out: { name: string; type: string; link?: string; size: number; mtime: number; text?: string }[] = [];
  for await (const { header, body } of readTar(
    (async function* () {
      yield tar;
    })(),
  )) {
    let text = '';
    for await (const c of body) text += new TextDecoder().decode(c);
    out.push({
      name: header.name,
      type: header.type,
      size: header.size,
      mtime: header.mtime,
      ...(header.linkName ? { link: header.linkName } : {}),
      ...(text ? { text } : {}),
    });
  }
  return out;
}

describe('layerTar', () => {
  it('writes deletions as whiteouts and an opaque directory as its marker, in path order', async () => {
    const layer: LayerEntry[] = [
      { ...base, path: '/etc/motd', type: 'whiteout' },
      { ...base, path: '/app', type: 'opaque', mode: 0o755 },
      { ...base, path: '/app/a.txt', type: 'file', size: 2, sha: 'a' },
      { ...base, path: '/app/b', type: 'hardlink', linkTarget: '/app/a.txt' },
      { ...base, path: '/app/l', type: 'symlink', linkTarget: 'a.txt' },
      { ...base, path: '/dev-null', type: 'char', devMajor: 1, devMinor: 3 },
    ];
    const tar = await layerTar(layer, async (sha) => (sha === 'a' ? new TextEncoder().encode('hi') : undefined), { mtime: 1_700_000_000 });
    const got = await entries(tar);
    expect(got.map((e) => [e.name, e.type, e.link ?? '', e.text ?? ''])).toEqual([
      ['app/', 'dir', '', ''],
      ['app/.wh..wh..opq', 'file', '', ''],
      ['app/a.txt', 'file', '', 'hi'],
      ['app/b', 'hardlink', 'app/a.txt', ''],
      ['app/l', 'symlink', 'a.txt', ''],
      ['dev-null', 'char', '', ''],
      ['etc/.wh.motd', 'file', '', ''],
    ]);
    expect(new Set(got.map((e) => e.mtime))).toEqual(new Set([1_700_000_000]));
  });

  it('refuses a file whose content the store lacks', async () => {
    await expect(layerTar([{ ...base, path: '/x', type: 'file', size: 1, sha: 'gone' }], async () => undefined)).rejects.toThrow(
      /content of \/x .* is missing/,
    );
  });
});

import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DecompressionLimitError, HostileLayerError, LayerFormatError } from '../../core/errors.ts';
import type { LayerEntry } from '../../core/store/snapshot-types.ts';
import { decompress } from '../../core/unpack/decompress.ts';
import { MergedTree } from '../../core/unpack/merged-tree.ts';
import { normalizeEntryPath } from '../../core/unpack/paths.ts';
import { readTar } from '../../core/unpack/tar-reader.ts';
import { makeTar, tarHeader } from '../support/image-builder.ts';

async function* chunks(b: Uint8Array, size: number) {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

async function entries(tar: Uint8Array, chunk = 1000) {
  const out: { name: string; type: string; size: number; link: string; text: string }[] = [];
  for await (const { header, body } of readTar(chunks(tar, chunk))) {
    let text = '';
    for await (const p of body) text += Buffer.from(p).toString();
    out.push({ name: header.name, type: header.type, size: header.size, link: header.linkName, text });
  }
  return out;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return `${len}${body}`;
}

describe('tar reader', () => {
  it('reads files, links and dirs across any chunking', async () => {
    const tar = makeTar([
      { name: 'd/', type: 'dir' },
      { name: 'd/f.txt', data: 'hello' },
      { name: 'd/s', type: 'symlink', linkName: 'f.txt' },
      { name: 'd/h', type: 'hardlink', linkName: 'd/f.txt' },
    ]);
    for (const size of [7, 512, 513, 1 << 16]) {
      expect(await entries(tar, size)).toEqual([
        { name: 'd/', type: 'dir', size: 0, link: '', text: '' },
        { name: 'd/f.txt', type: 'file', size: 5, link: '', text: 'hello' },
        { name: 'd/s', type: 'symlink', size: 0, link: 'f.txt', text: '' },
        { name: 'd/h', type: 'hardlink', size: 0, link: 'd/f.txt', text: '' },
      ]);
    }
  });

  it('takes long names from pax headers and GNU long-name records', async () => {
    const long = `${'dir/'.repeat(30)}file.txt`;
    const pax = Buffer.from(paxRecord('path', long));
    const gnu = Buffer.from(`${long}\0`);
    const tar = Buffer.concat([
      tarHeader({ name: 'PaxHeaders/x' }, pax.length).fill(0x78, 156, 157),
      pax,
      Buffer.alloc(512 - pax.length),
      tarHeader({ name: 'ignored' }, 1),
      Buffer.from('a'),
      Buffer.alloc(511),
      tarHeader({ name: '././@LongLink' }, gnu.length).fill(0x4c, 156, 157),
      gnu,
      Buffer.alloc(512 - gnu.length),
      tarHeader({ name: 'truncated' }, 1),
      Buffer.from('b'),
      Buffer.alloc(511),
      Buffer.alloc(1024),
    ]);
    // Header checksums were computed before the typeflag edits: recompute them.
    for (let off = 0; off < tar.length - 1024; ) {
      const h = tar.subarray(off, off + 512);
      h.fill(0x20, 148, 156);
      let sum = 0;
      for (const b of h) sum += b;
      h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
      const size = parseInt(h.subarray(124, 135).toString(), 8);
      off += 512 + Math.ceil(size / 512) * 512;
    }
    const got = await entries(tar);
    expect(got.map((e) => [e.name, e.text])).toEqual([
      [long, 'a'],
      [long, 'b'],
    ]);
  });

  it('accepts a missing end-of-archive trailer but not a cut entry', async () => {
    const tar = makeTar([{ name: 'a', data: 'x'.repeat(600) }]);
    expect(await entries(tar.subarray(0, tar.length - 1024))).toHaveLength(1);
    await expect(entries(tar.subarray(0, 700))).rejects.toBeInstanceOf(LayerFormatError);
  });

  it('refuses garbage with a clear error', async () => {
    await expect(entries(Buffer.alloc(512, 7))).rejects.toThrow(/checksum/);
  });

  // Found by fuzzing (test/unit/fuzz/tar.test.ts): `Number()` took any PAX value, giving a size of
  // NaN or -1 (a file whose bytes were never read), and base-256 fields past 2^53 lost precision.
  it('refuses PAX numbers that are not decimal integers, and header numbers past 2^53', async () => {
    const resum = (h: Buffer) => {
      h.fill(0x20, 148, 156);
      h.write(
        `${h
          .reduce((n, b) => n + b, 0)
          .toString(8)
          .padStart(6, '0')}\0 `,
        148,
      );
      return h;
    };
    const paxed = (key: string, value: string) => {
      const pax = Buffer.from(paxRecord(key, value));
      return Buffer.concat([
        resum(tarHeader({ name: 'PaxHeaders/a' }, pax.length).fill(0x78, 156, 157)),
        pax,
        Buffer.alloc(512 - pax.length),
        makeTar([{ name: 'a' }]),
      ]);
    };
    for (const [key, value] of [
      ['size', 'a'],
      ['size', '-5'],
      ['uid', '1e400'],
      ['gid', '1.5'],
      ['mtime', 'x'],
    ]) {
      await expect(entries(paxed(key!, value!))).rejects.toThrow(`invalid pax ${key}`);
    }
    expect((await entries(paxed('mtime', '1700000000.75')))[0]).toMatchObject({ name: 'a', size: 0 });
    const huge = makeTar([{ name: 'a' }]);
    huge.set([0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 108); // uid in GNU base-256
    resum(huge.subarray(0, 512));
    await expect(entries(huge)).rejects.toThrow(/out of range/);
  });
});

describe('decompress', () => {
  it('stops a layer that expands past the limit', async () => {
    const bomb = gzipSync(Buffer.alloc(8 << 20));
    const run = async () => {
      for await (const _ of decompress(chunks(bomb, 4096), 'gzip', 1 << 20));
    };
    await expect(run()).rejects.toBeInstanceOf(DecompressionLimitError);
  });

  it('reports a truncated gzip stream as a layer format error', async () => {
    const gz = gzipSync(Buffer.from('x'.repeat(100_000)));
    const run = async () => {
      for await (const _ of decompress(chunks(gz.subarray(0, gz.length - 10), 100), 'gzip', 1 << 30));
    };
    await expect(run()).rejects.toBeInstanceOf(LayerFormatError);
  });
});

const e = (path: string, type: LayerEntry['type'], extra: Partial<LayerEntry> = {}): LayerEntry => ({
  path,
  type,
  mode: type === 'dir' ? 0o755 : 0o644,
  uid: 0,
  gid: 0,
  mtime: 0,
  ...extra,
});

describe('stacking layers (OCI whiteouts)', () => {
  it('applies whiteouts and opaque dirs to lower layers only, before the layer’s own entries', () => {
    const t = new MergedTree();
    t.apply([e('/a', 'dir'), e('/a/x', 'file', { sha: '1' }), e('/a/y', 'file', { sha: '2' }), e('/b', 'file', { sha: '3' })]);
    // Opaque marker listed after the new child: it must still only hide the lower children.
    t.apply([e('/a/z', 'file', { sha: '4' }), e('/a', 'opaque'), e('/b', 'whiteout')]);
    expect(t.list().map((x) => x.path)).toEqual(['/a', '/a/z']);
  });

  it('replaces a file by a directory and a directory by a file', () => {
    const t = new MergedTree();
    t.apply([e('/f', 'file', { sha: '1' }), e('/d', 'dir'), e('/d/child', 'file', { sha: '2' })]);
    t.apply([e('/f', 'dir'), e('/f/inner', 'file', { sha: '3' }), e('/d', 'file', { sha: '4' })]);
    expect(t.list().map((x) => `${x.path}:${x.type}`)).toEqual(['/d:file', '/f:dir', '/f/inner:file']);
  });

  it('resolves hardlinks, also to lower layers, and refuses dangling ones', () => {
    const t = new MergedTree();
    t.apply([e('/etc', 'dir'), e('/etc/a', 'file', { sha: 'aa', size: 2 })]);
    t.apply([e('/etc/b', 'hardlink', { linkTarget: '/etc/a' })]);
    expect(t.entries.get('/etc/b')).toMatchObject({ type: 'file', sha: 'aa', size: 2, hardlinkTo: '/etc/a' });
    expect(() => t.apply([e('/x', 'hardlink', { linkTarget: '/nope' })])).toThrow(HostileLayerError);
  });

  it('refuses writes through symlinks and creates missing parents', () => {
    const t = new MergedTree();
    t.apply([e('/deep/er/file', 'file', { sha: '1' })]);
    expect(t.entries.get('/deep/er')?.type).toBe('dir');
    t.apply([e('/link', 'symlink', { linkTarget: '/etc' })]);
    expect(() => t.apply([e('/link/passwd', 'file', { sha: '2' })])).toThrow(/goes through symlink/);
  });

  it('normalises tar names and refuses escapes', () => {
    expect(normalizeEntryPath('./a/./b/')).toBe('/a/b');
    expect(normalizeEntryPath('/abs/path')).toBe('/abs/path');
    expect(normalizeEntryPath('a/../b')).toBe('/b');
    expect(() => normalizeEntryPath('a/../../b')).toThrow(HostileLayerError);
  });
});

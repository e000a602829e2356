// Packs a directory as a gzipped newc cpio archive (the initramfs format), owned by root with
// fixed times so the same inputs give the same bytes. The host has no cpio tool.
//   tsx scripts/guest-kit/initramfs.ts <dir> <out.gz>
import { lstatSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const [dir, out] = process.argv.slice(2);
if (!dir || !out) throw new Error('usage: initramfs.ts <dir> <out.gz>');

const parts: Buffer[] = [];
let ino = 1;
function entry(name: string, mode: number, data: Buffer, rdev: [number, number] = [0, 0]): void {
  const nameBytes = Buffer.from(`${name}\0`);
  const hex = (n: number) => n.toString(16).padStart(8, '0');
  const header = `070701${hex(ino++)}${hex(mode)}${hex(0)}${hex(0)}${hex(1)}${hex(0)}${hex(data.length)}${hex(0)}${hex(0)}${hex(rdev[0])}${hex(rdev[1])}${hex(nameBytes.length)}${hex(0)}`;
  const pad = (n: number) => Buffer.alloc((4 - (n % 4)) % 4);
  parts.push(Buffer.from(header), nameBytes, pad(110 + nameBytes.length), data, pad(data.length));
}

(function walk(rel: string) {
  for (const name of readdirSync(path.join(dir, rel)).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    const abs = path.join(dir, r);
    const st = lstatSync(abs);
    if (st.isSymbolicLink()) entry(r, 0o120777, Buffer.from(readlinkSync(abs)));
    else if (st.isDirectory()) {
      entry(r, 0o40000 | (st.mode & 0o7777), Buffer.alloc(0));
      walk(r);
    } else entry(r, 0o100000 | (st.mode & 0o7777), readFileSync(abs));
  }
})('');
// The kernel gives init its stdio from /dev/console before anything can mount devtmpfs.
entry('dev/console', 0o20600, Buffer.alloc(0), [5, 1]);
entry('TRAILER!!!', 0, Buffer.alloc(0));
writeFileSync(out, gzipSync(Buffer.concat(parts), { level: 9 }));

const enc = new TextEncoder();
const BLOCK = 512;

function field(h: Uint8Array, off: number, len: number, s: string): void {
  h.set(enc.encode(s).subarray(0, len), off);
}

function octal(h: Uint8Array, off: number, len: number, n: number): void {
  field(h, off, len, `${n.toString(8).padStart(len - 1, '0')}\0`);
}

export interface TarFile {
  readonly name: string;
  readonly data: Uint8Array;
  readonly mode?: number;
}

/** A ustar archive of regular files and their parent directories (what image archives need). */
export function writeTar(files: readonly TarFile[], mtime = 0): Uint8Array {
  const dirs = new Set<string>();
  const items: { name: string; data?: Uint8Array; mode: number; dir: boolean }[] = [];
  for (const f of files) {
    const parts = f.name.split('/');
    for (let i = 1; i < parts.length; i++) {
      const d = `${parts.slice(0, i).join('/')}/`;
      if (!dirs.has(d)) {
        dirs.add(d);
        items.push({ name: d, mode: 0o755, dir: true });
      }
    }
    items.push({ name: f.name, data: f.data, mode: f.mode ?? 0o644, dir: false });
  }
  const size = items.reduce((n, it) => n + BLOCK + (it.data ? Math.ceil(it.data.byteLength / BLOCK) * BLOCK : 0), 0) + 2 * BLOCK;
  const out = new Uint8Array(size);
  let at = 0;
  for (const it of items) {
    if (enc.encode(it.name).byteLength > 100) throw new Error(`tar name too long: ${it.name}`);
    const h = out.subarray(at, at + BLOCK);
    field(h, 0, 100, it.name);
    octal(h, 100, 8, it.mode);
    octal(h, 108, 8, 0);
    octal(h, 116, 8, 0);
    octal(h, 124, 12, it.data?.byteLength ?? 0);
    octal(h, 136, 12, mtime);
    h[156] = it.dir ? 0x35 : 0x30;
    field(h, 257, 6, 'ustar\0');
    field(h, 263, 2, '00');
    h.fill(0x20, 148, 156);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += h[i]!;
    field(h, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
    at += BLOCK;
    if (it.data) {
      out.set(it.data, at);
      at += Math.ceil(it.data.byteLength / BLOCK) * BLOCK;
    }
  }
  return out;
}

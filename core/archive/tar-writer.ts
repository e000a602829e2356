import { concatBytes } from '../concat-bytes.ts';

const enc = new TextEncoder();
const BLOCK = 512;

export interface TarWriteEntry {
  readonly name: string;
  readonly type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  /** Seconds since the epoch. */
  readonly mtime?: number;
  readonly data?: Uint8Array;
  readonly linkTarget?: string;
  readonly devMajor?: number;
  readonly devMinor?: number;
}

/** ustar type flags. */
const TYPE_FLAG: Record<TarWriteEntry['type'], string> = { file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6' };

export interface TarFile {
  readonly name: string;
  readonly data: Uint8Array;
  readonly mode?: number;
}

function field(h: Uint8Array, off: number, len: number, s: string): void {
  h.set(enc.encode(s).subarray(0, len), off);
}

function octal(h: Uint8Array, off: number, len: number, n: number): void {
  field(h, off, len, `${n.toString(8).padStart(len - 1, '0')}\0`);
}

function header(name: string, flag: string, size: number, e: Partial<TarWriteEntry>): Uint8Array {
  const h = new Uint8Array(BLOCK);
  field(h, 0, 100, name);
  octal(h, 100, 8, (e.mode ?? (flag === '5' ? 0o755 : 0o644)) & 0o7777);
  octal(h, 108, 8, e.uid ?? 0);
  octal(h, 116, 8, e.gid ?? 0);
  octal(h, 124, 12, size);
  octal(h, 136, 12, Math.max(0, Math.floor(e.mtime ?? 0)));
  h[156] = flag.charCodeAt(0);
  if (e.linkTarget) field(h, 157, 100, e.linkTarget);
  field(h, 257, 6, 'ustar\0');
  field(h, 263, 2, '00');
  if (e.devMajor !== undefined) octal(h, 329, 8, e.devMajor);
  if (e.devMinor !== undefined) octal(h, 337, 8, e.devMinor);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += h[i]!;
  field(h, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = enc.encode(body).byteLength;
  while (String(len).length + enc.encode(body).byteLength !== len) len = String(len).length + enc.encode(body).byteLength;
  return `${len}${body}`;
}

function padded(n: number): number {
  return Math.ceil(n / BLOCK) * BLOCK;
}

/** A tar archive (ustar, with PAX records for names or link targets past 100 bytes). */
export function writeTarEntries(entries: readonly TarWriteEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    const name = e.type === 'dir' && !e.name.endsWith('/') ? `${e.name}/` : e.name;
    let pax = '';
    if (enc.encode(name).byteLength > 100) pax += paxRecord('path', name);
    if (e.linkTarget && enc.encode(e.linkTarget).byteLength > 100) pax += paxRecord('linkpath', e.linkTarget);
    if (pax) {
      const body = enc.encode(pax);
      parts.push(header('PaxHeader', 'x', body.byteLength, {}), body, new Uint8Array(padded(body.byteLength) - body.byteLength));
    }
    const size = e.type === 'file' ? (e.data?.byteLength ?? 0) : 0;
    parts.push(header(name, TYPE_FLAG[e.type], size, e));
    if (size) parts.push(e.data!, new Uint8Array(padded(size) - size));
  }
  parts.push(new Uint8Array(2 * BLOCK));
  return concatBytes(parts);
}

/** An archive of files, with their parent directories (what image archives need). */
export function writeTar(files: readonly TarFile[], mtime = 0): Uint8Array {
  const dirs = new Set<string>();
  const entries: TarWriteEntry[] = [];
  for (const f of files) {
    const parts = f.name.split('/');
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (!dirs.has(d)) {
        dirs.add(d);
        entries.push({ name: d, type: 'dir', mtime });
      }
    }
    entries.push({ name: f.name, type: 'file', data: f.data, mode: f.mode ?? 0o644, mtime });
  }
  return writeTarEntries(entries);
}

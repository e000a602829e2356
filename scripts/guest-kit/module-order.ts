// Which kernel modules the guest needs, in the order they must load, read from the kernel's own
// dependency data (each module's `depends=` in its .modinfo section, the field depmod reads), so
// the kit follows whatever the kernel package's modules need: no hand-kept list.
//   tsx scripts/guest-kit/module-order.ts <lib/modules/KVER dir> <module>...
// Prints one `name<TAB>relative path` a line, dependencies before what depends on them. Modules
// built into the kernel (modules.builtin) need no loading and are left out. A module that is
// neither a file nor built in is an error naming it and who needs it.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** depmod's spelling: `-` and `_` are the same in module names. */
const norm = (name: string) => name.replace(/-/g, '_');

/** The NUL-separated `key=value` strings of an ELF module's .modinfo section. */
export function modinfo(elf: Uint8Array): Map<string, string[]> {
  const v = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  if (v.getUint32(0) !== 0x7f454c46) throw new Error('not an ELF file');
  const is64 = elf[4] === 2;
  const le = elf[5] === 1;
  const u16 = (o: number) => v.getUint16(o, le);
  const u32 = (o: number) => v.getUint32(o, le);
  const word = (o: number) => (is64 ? Number(v.getBigUint64(o, le)) : u32(o));
  const shoff = word(is64 ? 0x28 : 0x20);
  const shentsize = u16(is64 ? 0x3a : 0x2e);
  const shnum = u16(is64 ? 0x3c : 0x30);
  const shstrndx = u16(is64 ? 0x3e : 0x32);
  const section = (i: number) => {
    const at = shoff + i * shentsize;
    return { name: u32(at), offset: word(at + (is64 ? 0x18 : 0x10)), size: word(at + (is64 ? 0x20 : 0x14)) };
  };
  const names = section(shstrndx);
  const nameOf = (off: number) => {
    let end = names.offset + off;
    while (elf[end] !== 0) end++;
    return new TextDecoder().decode(elf.subarray(names.offset + off, end));
  };
  const out = new Map<string, string[]>();
  for (let i = 0; i < shnum; i++) {
    const s = section(i);
    if (nameOf(s.name) !== '.modinfo') continue;
    for (const item of new TextDecoder().decode(elf.subarray(s.offset, s.offset + s.size)).split('\0')) {
      const eq = item.indexOf('=');
      if (eq <= 0) continue;
      const key = item.slice(0, eq);
      out.set(key, [...(out.get(key) ?? []), item.slice(eq + 1)]);
    }
    return out;
  }
  throw new Error('no .modinfo section: not a kernel module');
}

export interface ModuleSource {
  /** Module name → path of its .ko, relative to the modules directory. */
  readonly files: ReadonlyMap<string, string>;
  readonly builtin: ReadonlySet<string>;
  /** The names a module depends on (its `depends=`). */
  depends(name: string): readonly string[];
}

/** The modules `roots` need, dependencies first (a depth-first post-order: stable, no cycles). */
export function loadOrder(src: ModuleSource, roots: readonly string[]): { name: string; file: string }[] {
  const order: { name: string; file: string }[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, chain: readonly string[]) => {
    const n = norm(name);
    if (state.get(n) === 'done') return;
    if (state.get(n) === 'visiting') throw new Error(`module dependency cycle: ${[...chain, n].join(' -> ')}`);
    const file = src.files.get(n);
    if (!file) {
      if (src.builtin.has(n)) return void state.set(n, 'done');
      throw new Error(`module ${n} is neither a file of this kernel nor built in${chain.length ? ` (needed by ${chain.join(' -> ')})` : ''}`);
    }
    state.set(n, 'visiting');
    for (const d of src.depends(n)) visit(d, [...chain, n]);
    state.set(n, 'done');
    order.push({ name: n, file });
  };
  for (const r of roots) visit(r, []);
  return order;
}

/** A kernel's modules directory (`lib/modules/KVER` of its package) as a ModuleSource. */
export function moduleDir(dir: string): ModuleSource {
  const files = new Map<string, string>();
  (function walk(rel: string) {
    for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (e.name.endsWith('.ko')) files.set(norm(e.name.slice(0, -3)), r);
    }
  })('kernel');
  if (files.size === 0) throw new Error(`no uncompressed .ko modules under ${dir}/kernel`);
  let builtinText = '';
  try {
    builtinText = readFileSync(path.join(dir, 'modules.builtin'), 'utf8');
  } catch {
    // An older package may not ship it: then every dependency must be a file.
  }
  const builtin = new Set(
    builtinText
      .split('\n')
      .filter(Boolean)
      .map((l) => norm(path.basename(l).replace(/\.ko$/, ''))),
  );
  const deps = new Map<string, readonly string[]>();
  return {
    files,
    builtin,
    depends(name) {
      let d = deps.get(name);
      if (!d) {
        const info = modinfo(new Uint8Array(readFileSync(path.join(dir, files.get(name)!))));
        d = (info.get('depends')?.[0] ?? '').split(',').filter(Boolean).map(norm);
        deps.set(name, d);
      }
      return d;
    },
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [dir, ...roots] = process.argv.slice(2);
  if (!dir || roots.length === 0) throw new Error('usage: module-order.ts <lib/modules/KVER dir> <module>...');
  try {
    for (const m of loadOrder(moduleDir(dir), roots)) process.stdout.write(`${m.name}\t${m.file}\n`);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(1);
  }
}

// The guest kit's inputs: the module load order computed from a kernel's own dependency data, and
// kit.json's record of what the build resolved, checked against the very packages it names.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrder, type ModuleSource, modinfo } from '../../scripts/guest-kit/module-order.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const kitDir = path.join(root, '.cache/guest-kit');

function source(deps: Record<string, string[]>, builtin: string[] = []): ModuleSource {
  return {
    files: new Map(Object.keys(deps).map((n) => [n, `kernel/${n}.ko`])),
    builtin: new Set(builtin),
    depends: (n) => deps[n] ?? [],
  };
}

describe('module load order', () => {
  it('puts dependencies first, whichever way a kernel points them', () => {
    // 6.1.0-57: virtio depends on virtio_ring; 6.1.0-50: the other way round.
    const newer = source({ virtio_ring: [], virtio: ['virtio_ring'], '9pnet_virtio': ['virtio', 'virtio_ring', '9pnet'], '9pnet': [] });
    const older = source({ virtio: [], virtio_ring: ['virtio'], '9pnet_virtio': ['virtio', 'virtio_ring', '9pnet'], '9pnet': [] });
    expect(loadOrder(newer, ['9pnet_virtio']).map((m) => m.name)).toEqual(['virtio_ring', 'virtio', '9pnet', '9pnet_virtio']);
    expect(loadOrder(older, ['9pnet_virtio']).map((m) => m.name)).toEqual(['virtio', 'virtio_ring', '9pnet', '9pnet_virtio']);
  });

  it('lists each module once, skips built-in ones and treats - and _ alike', () => {
    const s = source({ a: ['b', 'c_d'], b: ['c_d'], c_d: ['builtin-one'] }, ['builtin_one']);
    expect(loadOrder(s, ['a', 'b', 'c-d'])).toEqual([
      { name: 'c_d', file: 'kernel/c_d.ko' },
      { name: 'b', file: 'kernel/b.ko' },
      { name: 'a', file: 'kernel/a.ko' },
    ]);
  });

  it('names a module that is missing, and who needs it; refuses a cycle', () => {
    expect(() => loadOrder(source({ '9p': ['netfs'] }), ['9p'])).toThrow('module netfs is neither a file of this kernel nor built in (needed by 9p)');
    expect(() => loadOrder(source({ a: ['b'], b: ['a'] }), ['a'])).toThrow('module dependency cycle: a -> b -> a');
  });

  it('refuses a file that is not a kernel module', () => {
    expect(() => modinfo(new TextEncoder().encode('#!/bin/sh\n'))).toThrow('not an ELF file');
  });
});

interface Input {
  readonly package: string;
  readonly version: string;
  readonly debSha256: string;
}
interface Kit {
  readonly v86: string;
  readonly kernel: string;
  readonly files: Record<string, { size: number; sha256: string }>;
  readonly inputs: { kernel: Input & { release: string }; seabios: Input; busybox: Input; musl: Input; clang: string };
  readonly modules: string[];
  readonly rejected: unknown[];
}

describe('kit.json records what the build resolved', () => {
  if (!existsSync(path.join(kitDir, 'kit.json'))) throw new Error('the x86 guest kit is missing (.cache/guest-kit): run `bash scripts/guest-kit/build.sh`');
  const kit = JSON.parse(readFileSync(path.join(kitDir, 'kit.json'), 'utf8')) as Kit;
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  const debOf = (i: Input) => {
    const [name] = i.package.split(':');
    const deb = readdirSync(path.join(kitDir, 'debs')).find((f) => f.startsWith(`${name}_${i.version.replace(/:/g, '%3a')}_`));
    if (!deb) throw new Error(`no cached .deb for ${i.package}=${i.version}`);
    return path.join(kitDir, 'debs', deb);
  };
  const field = (deb: string, f: string) => execFileSync('dpkg-deb', ['-f', deb, f], { encoding: 'utf8' }).trim();
  /** One file of a package, by its path in the package. */
  const member = (deb: string, p: string) =>
    execFileSync('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -xO "$2"', 'sh', deb, `./${p}`], { maxBuffer: 64 << 20 });
  let modulesDir: string;

  beforeAll(() => {
    // The kit's modules as the kernel package holds them, with the dependency data they carry.
    modulesDir = mkdtempSync(path.join(os.tmpdir(), 'kit-modules-'));
    execFileSync('sh', [
      '-c',
      `dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" --wildcards './lib/modules/*/kernel/*' './lib/modules/*/modules.builtin'`,
      'sh',
      debOf(kit.inputs.kernel),
      modulesDir,
    ]);
  });
  afterAll(() => rmSync(modulesDir, { recursive: true, force: true }));

  it('names packages whose cached .debs are those bytes, that name and that version', () => {
    for (const i of [kit.inputs.kernel, kit.inputs.seabios, kit.inputs.busybox, kit.inputs.musl]) {
      const deb = debOf(i);
      expect(sha(readFileSync(deb)), i.package).toBe(i.debSha256);
      expect(field(deb, 'Package')).toBe(i.package.split(':')[0]);
      expect(field(deb, 'Version')).toBe(i.version);
    }
  });

  it('holds the kernel, BIOS and busybox of those packages', () => {
    const { release } = kit.inputs.kernel;
    expect(kit.kernel).toBe(`${kit.inputs.kernel.package.split(':')[0]} ${release}`);
    expect(sha(member(debOf(kit.inputs.kernel), `boot/vmlinuz-${release}`))).toBe(kit.files['vmlinuz']!.sha256);
    expect(sha(member(debOf(kit.inputs.seabios), 'usr/share/seabios/bios.bin'))).toBe(kit.files['bios.bin']!.sha256);
    expect(
      execFileSync('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -t | grep -c "^./bin/busybox$"', 'sh', debOf(kit.inputs.busybox)], {
        encoding: 'utf8',
      }).trim(),
    ).toBe('1');
  });

  it('lists the modules for a 9p root in an order the kernel’s own dependencies allow', () => {
    const dir = path.join(modulesDir, 'lib/modules', kit.inputs.kernel.release);
    const builtin = new Set(
      readFileSync(path.join(dir, 'modules.builtin'), 'utf8')
        .split('\n')
        .map((l) => path.basename(l, '.ko').replace(/-/g, '_')),
    );
    const files = new Map<string, string>();
    (function walk(d: string) {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(path.join(d, e.name));
        else if (e.name.endsWith('.ko')) files.set(e.name.slice(0, -3).replace(/-/g, '_'), path.join(d, e.name));
      }
    })(path.join(dir, 'kernel'));
    expect(kit.modules).toEqual(expect.arrayContaining(['9p', '9pnet_virtio', 'virtio_pci']));
    kit.modules.forEach((m, i) => {
      const depends = (modinfo(new Uint8Array(readFileSync(files.get(m)!))).get('depends')?.[0] ?? '').split(',').filter(Boolean);
      for (const d of depends.map((x) => x.replace(/-/g, '_')).filter((x) => !builtin.has(x))) {
        const at = kit.modules.indexOf(d);
        expect(at >= 0 && at < i, `${m} needs ${d} loaded before it`).toBe(true);
      }
    });
  });

  it('matches the package index, the compiler and v86 as they are now', () => {
    const candidate = (p: string) => execFileSync('apt-cache', ['policy', p], { encoding: 'utf8' }).match(/Candidate: (\S+)/)?.[1];
    expect(candidate(kit.inputs.kernel.package)).toBe(kit.inputs.kernel.version);
    expect(candidate(kit.inputs.seabios.package)).toBe(kit.inputs.seabios.version);
    expect(execFileSync('clang', ['--version'], { encoding: 'utf8' })).toContain(`clang version ${kit.inputs.clang}`);
    expect(JSON.parse(readFileSync(path.join(root, 'node_modules/v86/package.json'), 'utf8')).version).toBe(kit.v86);
    expect(Array.isArray(kit.rejected)).toBe(true);
  });
});

// `docker cp` between a container and the CLI's virtual files: a file is its bytes, a directory
// the files below it (`DEST/…`). `-` as the destination writes the archive to stdout.
import { InvalidParameterError, NotFoundError, readTar, type TarWriteEntry, writeTarEntries } from '../../engine/index.ts';
import { CliError, type Command, type CommandContext } from '../command.ts';
import { humanSize } from '../humanize.ts';

/** docker's splitCpArg: `CONTAINER:PATH`, unless the argument is a local path (`/x`, `./a:b`). */
export function splitCpArg(arg: string): { container?: string; path: string } {
  if (arg.startsWith('/')) return { path: arg };
  const colon = arg.indexOf(':');
  if (colon < 0 || arg.startsWith('.')) return { path: arg };
  return { container: arg.slice(0, colon), path: arg.slice(colon + 1) };
}

const trimSlashes = (p: string) => p.replace(/\/+$/, '');
const baseName = (p: string) => trimSlashes(p).split('/').pop() ?? '';

function join(dir: string, name: string): string {
  const d = trimSlashes(dir);
  if (d === '' || d === '.') return name;
  return name === '' ? d : `${d}/${name}`;
}

function parentDir(p: string): string {
  const t = trimSlashes(p);
  const i = t.lastIndexOf('/');
  return i <= 0 ? '/' : t.slice(0, i);
}

interface Entry {
  readonly name: string;
  readonly type: string;
  readonly data: Uint8Array;
}

async function readEntries(tar: Uint8Array): Promise<Entry[]> {
  const out: Entry[] = [];
  for await (const { header, body } of readTar(
    (async function* () {
      yield tar;
    })(),
  )) {
    const parts: Uint8Array[] = [];
    for await (const p of body) parts.push(p);
    const data = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    let at = 0;
    for (const p of parts) {
      data.set(p, at);
      at += p.byteLength;
    }
    out.push({ name: header.name.replace(/^\.\//, '').replace(/\/+$/, ''), type: header.type, data });
  }
  return out;
}

/** Bytes as a string of the same length (one character per byte): our stdout carries text. */
function binaryString(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return s;
}

/** A path in the container: relative ones are relative to its working directory, as docker has it. */
function containerPath(ctx: CommandContext, container: string, path: string): string {
  const rec = ctx.engine.containers.inspect(container);
  return path.startsWith('/') ? path : join(rec.Config.WorkingDir || '/', path).replace(/^(?!\/)/, '/');
}

async function copyFromContainer(ctx: CommandContext, container: string, src: string, dest: string): Promise<number> {
  const tar = await ctx.engine.containers.getArchive(container, containerPath(ctx, container, src));
  if (dest === '-') {
    ctx.io.stdout(binaryString(tar));
    return tar.byteLength;
  }
  const files = ctx.io.files;
  const entries = await readEntries(tar);
  const top = entries[0];
  if (!top) return tar.byteLength;
  const intoDir = dest.endsWith('/') || files.isDir(dest);
  if (top.type !== 'dir') {
    files.set(intoDir ? join(dest, baseName(top.name)) : trimSlashes(dest), top.data);
    return tar.byteLength;
  }
  // A directory: into an existing one under its own name, or as DEST itself.
  for (const e of entries) {
    if (e.type !== 'file') continue;
    const rel = e.name.slice(top.name === '.' ? 0 : top.name.length).replace(/^\/+/, '');
    files.set(intoDir ? join(dest, join(top.name, rel)) : join(dest, rel), e.data);
  }
  return tar.byteLength;
}

/** A tar of a virtual file or directory, its top entry named `name`. */
function archiveOf(ctx: CommandContext, src: string, name: string): Uint8Array {
  const files = ctx.io.files;
  const mtime = Math.floor(Date.now() / 1000);
  const file = files.get(src);
  if (file) return writeTarEntries([{ name, type: 'file', mode: 0o644, mtime, data: file }]);
  const entries: TarWriteEntry[] = [{ name, type: 'dir', mode: 0o755, mtime }];
  const dirs = new Set<string>();
  for (const rel of files.under(src)) {
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (!dirs.has(d)) {
        dirs.add(d);
        entries.push({ name: `${name}/${d}`, type: 'dir', mode: 0o755, mtime });
      }
    }
    entries.push({ name: `${name}/${rel}`, type: 'file', mode: 0o644, mtime, data: files.get(join(src, rel))! });
  }
  return writeTarEntries(entries);
}

async function copyToContainer(ctx: CommandContext, src: string, container: string, dest: string): Promise<number> {
  if (src === '-') throw new CliError('reading a tar archive from STDIN is not supported here: copy a file or a directory instead');
  const files = ctx.io.files;
  if (!files.get(src) && !(files.isDir(src) && files.under(src).length > 0)) throw new CliError(`lstat ${src}: no such file or directory`);
  const target = containerPath(ctx, container, dest);
  const containers = ctx.engine.containers;
  if (dest.endsWith('/')) {
    const tar = archiveOf(ctx, src, baseName(src));
    await containers.putArchive(container, target, tar);
    return tar.byteLength;
  }
  try {
    // Into DEST when it is a directory…
    const tar = archiveOf(ctx, src, baseName(src));
    await containers.putArchive(container, target, tar);
    return tar.byteLength;
  } catch (e) {
    if (!(e instanceof NotFoundError) && !(e instanceof InvalidParameterError && /not a directory/.test(e.message))) throw e;
  }
  // …otherwise as DEST itself, in its parent directory.
  const tar = archiveOf(ctx, src, baseName(target));
  await containers.putArchive(container, parentDir(target), tar);
  return tar.byteLength;
}

const cp: Command = {
  names: ['container cp', 'cp'],
  usage: '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tdocker cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
  short: 'Copy files/folders between a container and the local filesystem',
  args: { exactly: 2 },
  flags: [
    { name: 'archive', short: 'a', type: 'bool', description: 'Archive mode (copy all uid/gid information)' },
    { name: 'follow-link', short: 'L', type: 'bool', description: 'Always follow symbol link in SRC_PATH' },
    {
      name: 'quiet',
      short: 'q',
      type: 'bool',
      description: 'Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached',
    },
  ],
  async run(ctx) {
    const [srcArg, destArg] = ctx.args as [string, string];
    const src = splitCpArg(srcArg);
    const dest = splitCpArg(destArg);
    if (src.container !== undefined && dest.container !== undefined) throw new CliError('copying between containers is not supported');
    if (src.container === undefined && dest.container === undefined) throw new CliError('must specify at least one container source');
    if (src.path === '' || dest.path === '') throw new CliError('filepath can not be empty');
    let bytes: number;
    if (src.container !== undefined) bytes = await copyFromContainer(ctx, src.container, src.path, dest.path);
    else bytes = await copyToContainer(ctx, src.path, dest.container!, dest.path);
    if (ctx.io.isTTY && !ctx.flags.bool('quiet') && dest.path !== '-') ctx.io.stderr(`Successfully copied ${humanSize(bytes, 3)} to ${destArg}\n`);
  },
};

export const containerCpCommands: readonly Command[] = [cp];

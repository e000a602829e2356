// docker ps, cp, diff and top: docker's columns, truncation, filters and the virtual files.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { timeAgo } from '../../../cli/humanize.ts';
import type { VirtualFiles } from '../../../cli/virtual-files.ts';
import { readTar } from '../../../core/unpack/tar-reader.ts';
import type { Engine } from '../../../engine/engine.ts';
import { containerEngine, dockerCommand, ttyCommand } from '../../support/cli-helpers.ts';

let engine: Engine;
let files: VirtualFiles;
const docker = (line: string) => dockerCommand(engine, line, files);
const text = (b: Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : undefined);

beforeEach(async () => {
  ({ engine, files } = await containerEngine());
});
afterEach(async () => {
  await new Promise((r) => setTimeout(r, 60));
  engine.close();
});

describe('docker ps', () => {
  beforeEach(async () => {
    await docker('docker run -d --name web -l tier=front -v data:/data test/tools spin');
    await docker('docker run --name job test/tools exit 3');
    await docker('docker create --name fresh test/tools echo a-rather-long-argument');
  });

  it('prints docker’s table: running containers, newest first', async () => {
    const r = await docker('docker ps');
    const [header, row, end] = r.stdout.split('\n');
    expect(header).toMatch(/^CONTAINER ID   IMAGE        COMMAND             CREATED +STATUS +PORTS     NAMES$/);
    const id = engine.containers.inspect('web').Id.slice(0, 12);
    expect(row).toMatch(new RegExp(`^${id}   test/tools   "tools.wasm spin"   \\S.* ago +Up .+ +web$`));
    expect(end).toBe('');
    // Columns line up.
    expect(row!.indexOf('"tools.wasm spin"')).toBe(header!.indexOf('COMMAND'));
    expect(row!.lastIndexOf('web')).toBe(header!.indexOf('NAMES'));
    // `container ls` is `ps`: compared without the times, which may cross a second between the two.
    const fields = ' --format "{{.ID}} {{.Image}} {{.Command}} {{.Ports}} {{.Names}}"';
    expect((await docker(`docker container ls${fields}`)).stdout).toBe((await docker(`docker ps${fields}`)).stdout);
    // Its header too, up to the CREATED column's width (`Less than a second ago` may become `1 second ago`).
    expect((await docker('docker container ls')).stdout.split('\n')[0]).toMatch(
      /^CONTAINER ID   IMAGE        COMMAND             CREATED +STATUS +PORTS     NAMES$/,
    );
  });

  it('-a, -q, -n, -l and --no-trunc', async () => {
    const names = async (args: string) => (await docker(`docker ps --format "{{.Names}}" ${args}`)).stdout.trim().split('\n').filter(Boolean);
    expect(await names('-a')).toEqual(['fresh', 'job', 'web']);
    expect(await names('-n 2')).toEqual(['fresh', 'job']);
    expect(await names('-l')).toEqual(['fresh']);
    expect((await docker('docker ps -aq')).stdout).toBe(['fresh', 'job', 'web'].map((n) => `${engine.containers.inspect(n).Id.slice(0, 12)}\n`).join(''));
    expect((await docker('docker ps -q --no-trunc')).stdout).toBe(`${engine.containers.inspect('web').Id}\n`);
    // The command is quoted and cut to 20 characters, as docker does.
    expect((await docker('docker ps -l --format "{{.Command}}"')).stdout).toBe('"tools.wasm echo a-r…"\n');
    expect((await docker('docker ps -l --no-trunc --format "{{.Command}}"')).stdout).toBe('"tools.wasm echo a-rather-long-argument"\n');
    const warned = await docker('docker ps -q --format "{{.Names}}"');
    expect(warned).toEqual({
      code: 0,
      stdout: `${engine.containers.inspect('web').Id.slice(0, 12)}\n`,
      stderr: 'WARNING: Ignoring custom format, because both --format and --quiet are set.\n',
    });
  });

  it('filters', async () => {
    const names = async (args: string) => (await docker(`docker ps --format "{{.Names}}" ${args}`)).stdout.trim().split('\n').filter(Boolean);
    expect(await names('--filter status=exited')).toEqual(['job']);
    expect(await names('-f status=created -f status=running')).toEqual(['fresh', 'web']);
    expect(await names('-a -f name=we')).toEqual(['web']);
    expect(await names('-a -f label=tier=front')).toEqual(['web']);
    expect(await names('-a -f label=tier')).toEqual(['web']);
    // Label filters must all match (other keys' values are alternatives).
    expect(await names('-a -f label=tier -f label=tier=back')).toEqual([]);
    expect(await names('-a -f label=tier -f label=tier=front')).toEqual(['web']);
    expect(await names('-a -f exited=3')).toEqual(['job']);
    expect(await names('-a -f ancestor=test/tools:latest')).toEqual(['fresh', 'job', 'web']);
    expect(await names(`-a -f id=${engine.containers.inspect('job').Id.slice(0, 6)}`)).toEqual(['job']);
    expect(await names('-a -f volume=data')).toEqual(['web']);
    expect(await names(`-a -f node=${engine.containers.inspect('web').Node}`)).toContain('web');
    expect(await names('-f before=fresh')).toEqual(['job', 'web']);
    expect(await names('-f since=web')).toEqual(['fresh', 'job']);
    expect(await docker('docker ps -f status=sleeping')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error response from daemon: Unrecognised filter value for status\n',
    });
    expect(await docker('docker ps -f color=red')).toEqual({ code: 1, stdout: '', stderr: "Error response from daemon: invalid filter 'color'\n" });
  });

  it('formats: fields, json, sizes', async () => {
    const web = engine.containers.inspect('web');
    expect((await docker('docker ps --format "{{.Names}}|{{.Image}}|{{.Labels}}|{{.Mounts}}|{{.LocalVolumes}}|{{.State}}|{{.Node}}|{{.Ports}}"')).stdout).toBe(
      `web|test/tools|org.example.image=tools,tier=front|data|1|running|${web.Node}|\n`,
    );
    expect((await docker('docker ps -a --format "table {{.Names}}\\t{{.Status}}" -f name=job')).stdout).toMatch(
      /^NAMES     STATUS\njob       Exited \(3\) .* ago\n$/,
    );
    expect((await docker('docker ps --format "{{.RunningFor}}"')).stdout).toBe(`${timeAgo(Math.floor(Date.parse(web.Created) / 1000))}\n`);
    const json = JSON.parse((await docker('docker ps --format json')).stdout) as Record<string, string>;
    expect(Object.keys(json)).toEqual([
      'Command',
      'CreatedAt',
      'ID',
      'Image',
      'Labels',
      'LocalVolumes',
      'Mounts',
      'Names',
      'Networks',
      'Node',
      'Ports',
      'RunningFor',
      'Size',
      'State',
      'Status',
    ]);
    expect(json).toMatchObject({ ID: web.Id.slice(0, 12), Names: 'web', Command: '"tools.wasm spin"', Size: '0B (virtual 120B)' });
    files.set('f.txt', new TextEncoder().encode('12345'));
    await docker('docker cp f.txt web:/tmp/');
    const sized = await docker('docker ps -s');
    expect(sized.stdout.split('\n')[0]).toMatch(/ NAMES +SIZE$/);
    expect(sized.stdout.split('\n')[1]).toMatch(/ web +5B \(virtual 125B\)$/);
    expect(await docker('docker ps --format "{{.Nope}}"')).toMatchObject({
      code: 1,
      stderr: expect.stringContaining("can't evaluate field Nope in type *formatter.ContainerContext"),
    });
  });
});

describe('docker cp', () => {
  beforeEach(async () => {
    await docker('docker create --name box test/tools');
  });

  it('copies a file out, to a name or into a directory', async () => {
    expect(await docker('docker cp box:/data/hello.txt out.txt')).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(text(files.get('out.txt'))).toBe('hello from the image\n');
    files.set('dir/existing', new Uint8Array());
    await docker('docker cp box:/data/hello.txt dir');
    expect(text(files.get('dir/hello.txt'))).toBe('hello from the image\n');
    await docker('docker cp box:/data/hello.txt ./');
    expect(text(files.get('hello.txt'))).toBe('hello from the image\n');
    // Relative to the container's working directory (/).
    await docker('docker cp box:data/sub/a.txt a.txt');
    expect(text(files.get('a.txt'))).toBe('a\n');
  });

  it('copies a directory out, as DEST or into an existing directory', async () => {
    await docker('docker cp box:/data copy');
    expect(files.under('copy')).toEqual(['hello.txt', 'sub/a.txt']);
    await docker('docker cp box:/data copy');
    expect(files.under('copy')).toEqual(['data/hello.txt', 'data/sub/a.txt', 'hello.txt', 'sub/a.txt']);
  });

  it('writes an archive to stdout with -', async () => {
    const r = await docker('docker cp box:/data/hello.txt -');
    expect(r.code).toBe(0);
    const bytes = Uint8Array.from(r.stdout, (c) => c.charCodeAt(0));
    const names: string[] = [];
    for await (const e of readTar(
      (async function* () {
        yield bytes;
      })(),
    ))
      names.push(e.header.name);
    expect(names).toEqual(['hello.txt']);
  });

  it('copies files and directories in, and docker diff shows them', async () => {
    files.set('note.txt', new TextEncoder().encode('note'));
    files.set('tree/x.txt', new TextEncoder().encode('x'));
    files.set('tree/deep/y.txt', new TextEncoder().encode('y'));
    expect(await docker('docker cp note.txt box:/tmp/')).toEqual({ code: 0, stdout: '', stderr: '' });
    await docker('docker cp note.txt box:/tmp/renamed.txt');
    await docker('docker cp note.txt box:/data/hello.txt');
    await docker('docker cp tree box:/tmp/tree');
    await docker('docker cp tree box:/data');
    expect((await docker('docker diff box')).stdout).toBe(
      [
        'A /data/tree',
        'A /data/tree/deep',
        'A /data/tree/deep/y.txt',
        'A /data/tree/x.txt',
        'C /data/hello.txt',
        'A /tmp/note.txt',
        'A /tmp/renamed.txt',
        'A /tmp/tree',
        'A /tmp/tree/deep',
        'A /tmp/tree/deep/y.txt',
        'A /tmp/tree/x.txt',
        '',
      ]
        .join('\n')
        .split('\n')
        .sort((a, b) => (a.slice(2) < b.slice(2) ? -1 : 1))
        .filter(Boolean)
        .map((l) => `${l}\n`)
        .join(''),
    );
    await docker('docker cp box:/tmp/tree back');
    expect(files.under('back')).toEqual(['deep/y.txt', 'x.txt']);
    expect(text(files.get('back/deep/y.txt'))).toBe('y');
  });

  it('says what is wrong', async () => {
    expect(await docker('docker cp a b')).toEqual({ code: 1, stdout: '', stderr: 'must specify at least one container source\n' });
    expect(await docker('docker cp box:/a box:/b')).toEqual({ code: 1, stdout: '', stderr: 'copying between containers is not supported\n' });
    expect(await docker('docker cp missing.txt box:/tmp/')).toEqual({ code: 1, stdout: '', stderr: 'lstat missing.txt: no such file or directory\n' });
    expect(await docker('docker cp box:/nope out')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error response from daemon: Could not find the file /nope in container box\n',
    });
    expect(await docker('docker cp nope:/x out')).toEqual({ code: 1, stdout: '', stderr: 'Error response from daemon: No such container: nope\n' });
  });

  it('reports the size copied on a terminal', async () => {
    const r = await ttyCommand(engine, 'docker cp box:/data/hello.txt out.txt', { files });
    expect(r).toEqual({ code: 0, stdout: '', stderr: 'Successfully copied 2.05kB to out.txt\n' });
    expect((await ttyCommand(engine, 'docker cp -q box:/data/hello.txt out.txt', { files })).stderr).toBe('');
  });
});

describe('docker top', () => {
  it('lists the processes in docker’s layout', async () => {
    await docker('docker run -d --name tt test/tools spin');
    const r = await docker('docker top tt');
    const [header, row] = r.stdout.split('\n');
    expect(header).toBe(`${['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME'].map((t) => t.padEnd(20)).join('')}CMD`);
    expect(row).toMatch(/^root +\d+ +0 +0 +\d\d:\d\d +\? +00:00:0\d +\/bin\/tools\.wasm spin$/);
    await docker('docker stop tt');
    expect((await docker('docker top tt')).stderr).toMatch(/^Error response from daemon: Container [0-9a-f]{64} is not running\n$/);
  });
});

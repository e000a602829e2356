import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { humanSize, timeAgo } from '../../../cli/humanize.ts';
import type { VirtualFiles } from '../../../cli/virtual-files.ts';
import type { Engine } from '../../../engine/engine.ts';
import { BUSYBOX_ID, dockerCommand, FIXTURE_CREATED, fixtureArchive, freshEngine, loadBusybox, ttyCommand } from '../../support/cli-helpers.ts';
import { fixturesDir } from '../../support/registry.ts';

let engine: Engine;
let files: VirtualFiles;
const docker = (line: string) => dockerCommand(engine, line, files);
const AGO = timeAgo(FIXTURE_CREATED);
const SHORT = BUSYBOX_ID.slice(7, 19);

beforeEach(async () => {
  ({ engine, files } = await freshEngine());
  await loadBusybox(engine);
});

describe('docker images', () => {
  it('prints docker’s table', async () => {
    const size = humanSize((await engine.images.list())[0]!.Size, 3);
    const pad = (s: string, n: number) => s.padEnd(n);
    expect(await docker('docker images')).toEqual({
      code: 0,
      stderr: '',
      stdout:
        `REPOSITORY         TAG       IMAGE ID       ${pad('CREATED', AGO.length + 3)}SIZE\n` +
        `fixtures/busybox   latest    ${SHORT}   ${pad(AGO, AGO.length + 3)}${size}\n`,
    });
    expect((await docker('docker image ls')).stdout).toBe((await docker('docker images')).stdout);
    expect((await docker('docker image list')).stdout).toBe((await docker('docker images')).stdout);
  });

  it('shows every tag as a row, and <none> for untagged digests', async () => {
    await engine.images.tag('fixtures/busybox', 'my/app:v1');
    expect((await docker('docker images --format "{{.Repository}}:{{.Tag}} {{.ID}}"')).stdout).toBe(`fixtures/busybox:latest ${SHORT}\nmy/app:v1 ${SHORT}\n`);
    expect((await docker('docker images -q')).stdout).toBe(`${SHORT}\n${SHORT}\n`);
    expect((await docker('docker images -q --no-trunc')).stdout).toBe(`${BUSYBOX_ID}\n${BUSYBOX_ID}\n`);
  });

  it('supports --digests, --no-trunc and json', async () => {
    expect((await docker('docker images --digests')).stdout.split('\n')[0]).toBe(
      'REPOSITORY         TAG       DIGEST    IMAGE ID       CREATED' + ' '.repeat(AGO.length + 3 - 7) + 'SIZE',
    );
    expect((await docker('docker images --no-trunc --format "{{.ID}}"')).stdout).toBe(`${BUSYBOX_ID}\n`);
    const json = JSON.parse((await docker('docker images --format json')).stdout) as Record<string, string>;
    expect(Object.keys(json)).toEqual([
      'Containers',
      'CreatedAt',
      'CreatedSince',
      'Digest',
      'ID',
      'Repository',
      'SharedSize',
      'Size',
      'Tag',
      'UniqueSize',
      'VirtualSize',
    ]);
    expect(json).toMatchObject({
      Repository: 'fixtures/busybox',
      Tag: 'latest',
      ID: SHORT,
      Digest: '<none>',
      CreatedAt: '2000-01-01 00:00:00 +0000 UTC',
      CreatedSince: AGO,
    });
    expect((await docker('docker images --format "table {{.Repository}}\\t{{.Size}}"')).stdout).toMatch(
      /^REPOSITORY         SIZE\nfixtures\/busybox   \S+MB\n$/,
    );
  });

  it('filters by reference, dangling and label', async () => {
    await engine.images.tag('fixtures/busybox', 'other:1');
    const names = async (args: string) => (await docker(`docker images --format "{{.Repository}}:{{.Tag}}" ${args}`)).stdout.trim().split('\n').filter(Boolean);
    // The engine matches whole images: rows for an image's other tags come along (docker's daemon
    // would narrow those to the matching names too).
    expect(await names('fixtures/busybox')).toContain('fixtures/busybox:latest');
    expect(await names('other:1')).toContain('other:1');
    expect(await names('nothing')).toEqual([]);
    expect(await names('--filter reference=fixtures/*')).toContain('fixtures/busybox:latest');
    expect(await names('--filter reference=nothing --filter reference=other')).toContain('other:1');
    expect(await names('--filter dangling=true')).toEqual([]);
    expect(await names('--filter dangling=false')).toHaveLength(2);
    expect(await names('--filter label=org.opencontainers.image.title=fixtures-busybox')).toHaveLength(2);
    expect(await names('--filter label=nope')).toEqual([]);
    expect(await docker('docker images --filter foo=bar')).toEqual({ code: 1, stdout: '', stderr: "Error response from daemon: invalid filter 'foo'\n" });
  });
});

describe('docker image inspect / docker inspect', () => {
  it('prints a JSON array with 4-space indent', async () => {
    const r = await docker('docker image inspect fixtures/busybox');
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith(`[\n    {\n        "Id": "${BUSYBOX_ID}",\n`)).toBe(true);
    expect(JSON.parse(r.stdout)).toEqual([await engine.images.inspect('fixtures/busybox')]);
    expect((await docker('docker inspect fixtures/busybox')).stdout).toBe(r.stdout);
  });

  it('formats with -f templates', async () => {
    expect((await docker('docker image inspect -f "{{.Id}}" fixtures/busybox')).stdout).toBe(`${BUSYBOX_ID}\n`);
    expect((await docker(`docker image inspect --format '{{.Os}}/{{.Architecture}}' fixtures/busybox`)).stdout).toBe('linux/386\n');
    expect((await docker('docker inspect -f "{{.Config.Env}}" fixtures/busybox')).stdout).toBe(
      '[PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin GREETING=hello-386]\n',
    );
    expect(JSON.parse((await docker("docker inspect -f '{{json .Config}}' fixtures/busybox")).stdout)).toMatchObject({ User: 'app', WorkingDir: '/home/app' });
    expect((await docker('docker image inspect -f "{{.Nope.X}}" fixtures/busybox')).stderr).toMatch(
      /^template parsing error: template: :1: executing "" at <\.Nope\.X>: nil pointer/,
    );
  });

  it('reports missing images as docker does, after printing what was found', async () => {
    expect(await docker('docker image inspect nope')).toEqual({ code: 1, stdout: '[]\n', stderr: 'Error: No such image: nope\n' });
    expect(await docker('docker inspect nope')).toEqual({ code: 1, stdout: '[]\n', stderr: 'Error: No such object: nope\n' });
    expect(await docker('docker inspect --type image nope')).toEqual({ code: 1, stdout: '[]\n', stderr: 'Error: No such image: nope\n' });
    expect(await docker('docker inspect --type foo x')).toEqual({ code: 1, stdout: '', stderr: '"foo" is not a valid value for --type\n' });
    const both = await docker('docker image inspect -f "{{.Os}}" nope fixtures/busybox');
    expect(both).toEqual({ code: 1, stdout: 'linux\n', stderr: 'Error: No such image: nope\n' });
  });
});

describe('docker history', () => {
  it('prints docker’s table with truncated CREATED BY', async () => {
    const r = await docker('docker history fixtures/busybox');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`IMAGE          CREATED${' '.repeat(AGO.length + 3 - 7)}CREATED BY                                      SIZE      COMMENT`);
    expect(lines[1]).toBe(`${SHORT}   ${AGO}   config                                          0B        `);
    expect(lines[3]).toBe(`<missing>      ${AGO}   rm /etc/deleteme.txt; /opt/replaceme file ->…   42B       `);
    expect(lines).toHaveLength(7);
  });

  it('supports -q, --no-trunc, -H=false and --format', async () => {
    expect((await docker('docker history -q fixtures/busybox')).stdout).toBe(`${SHORT}\n${'<missing>\n'.repeat(4)}`);
    expect((await docker('docker image history --no-trunc --format "{{.ID}}|{{.CreatedBy}}" fixtures/busybox')).stdout.split('\n').slice(0, 3)).toEqual([
      `${BUSYBOX_ID}|config`,
      '<missing>|opaque /opt/data',
      '<missing>|rm /etc/deleteme.txt; /opt/replaceme file -> dir',
    ]);
    const raw = await docker('docker history -H=false fixtures/busybox');
    expect(raw.stdout.split('\n')[0]).toMatch(/^IMAGE {10}CREATED AT {13}CREATED BY/);
    expect(raw.stdout.split('\n')[4]).toMatch(/^<missing> +2000-01-01T00:00:00Z +add test files +171 +$/);
    expect(await docker('docker history nope')).toEqual({ code: 1, stdout: '', stderr: 'Error response from daemon: No such image: nope:latest\n' });
  });
});

describe('docker tag / rmi', () => {
  it('tags, untags and deletes', async () => {
    expect(await docker('docker tag fixtures/busybox my/app:v1')).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await docker('docker image tag fixtures/busybox my/app:v2')).toMatchObject({ code: 0 });
    expect(await docker('docker rmi my/app:v1')).toEqual({ code: 0, stdout: 'Untagged: my/app:v1\n', stderr: '' });
    const conflict = await docker(`docker rmi ${SHORT}`);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toBe(
      `Error response from daemon: conflict: unable to delete ${SHORT} (must be forced) - image is referenced in multiple repositories\n`,
    );
    expect(await docker(`docker image rm -f ${SHORT}`)).toEqual({
      code: 0,
      stdout: `Untagged: fixtures/busybox:latest\nUntagged: my/app:v2\nDeleted: ${BUSYBOX_ID}\n`,
      stderr: '',
    });
    expect((await docker('docker images -q')).stdout).toBe('');
  });

  it('goes on after a failing name and exits 1', async () => {
    await engine.images.tag('fixtures/busybox', 'x:1');
    expect(await docker('docker rmi nope x:1 nope2')).toEqual({
      code: 1,
      stdout: 'Untagged: x:1\n',
      stderr: 'Error response from daemon: No such image: nope:latest\nError response from daemon: No such image: nope2:latest\n',
    });
  });

  it('validates the target reference as the docker client does', async () => {
    expect(await docker('docker tag fixtures/busybox Bad')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error parsing reference: "Bad" is not a valid repository/tag: invalid reference format: repository name (Bad) must be lowercase\n',
    });
    expect((await docker(`docker tag fixtures/busybox x@sha256:${'a'.repeat(64)}`)).stderr).toBe('refusing to create a tag with a digest reference\n');
    expect((await docker('docker tag nope x')).stderr).toBe('Error response from daemon: No such image: nope:latest\n');
  });
});

describe('docker image prune', () => {
  it('asks first, and does nothing unless the answer is y', async () => {
    const warn = 'WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] ';
    expect(await docker('docker image prune')).toEqual({ code: 0, stdout: warn, stderr: '' });
    expect(await ttyCommand(engine, 'docker image prune', { input: ['n'] })).toEqual({ code: 0, stdout: warn, stderr: '' });
    expect(await ttyCommand(engine, 'docker image prune', { input: ['y'] })).toEqual({ code: 0, stdout: `${warn}Total reclaimed space: 0B\n`, stderr: '' });
  });

  it('removes unused images with -a -f', async () => {
    const r = await docker('docker image prune -a -f');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Deleted Images:\nuntagged: fixtures/busybox:latest\ndeleted: ${BUSYBOX_ID}\n\nTotal reclaimed space: \\S+B\n$`));
    expect((await docker('docker images -q')).stdout).toBe('');
  });
});

describe('docker save / load', () => {
  it('round-trips through the virtual files', async () => {
    expect(await docker('docker save -o busybox.tar fixtures/busybox')).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(files.list()).toEqual(['busybox.tar']);
    await docker('docker rmi fixtures/busybox');
    expect(await docker('docker load -i ./busybox.tar')).toEqual({ code: 0, stdout: 'Loaded image: fixtures/busybox:latest\n', stderr: '' });
    expect(await docker('docker load --input busybox.tar -q')).toEqual({ code: 0, stdout: 'Loaded image: fixtures/busybox:latest\n', stderr: '' });
  });

  it('loads an OCI archive and shows load progress on a terminal', async () => {
    const fresh = await freshEngine();
    fresh.files.set('oci.tar', fixtureArchive('busybox-oci.tar'));
    const r = await ttyCommand(fresh.engine, 'docker load -i oci.tar', { files: fresh.files });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\x1b\[2K\r[0-9a-f]{12}: Loading layer \[=+>\]/);
    expect(r.stdout.endsWith('Loaded image: fixtures/busybox:latest\n')).toBe(true);
  });

  it('fails like docker without a destination or a source', async () => {
    expect(await docker('docker save fixtures/busybox')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'cowardly refusing to save to a terminal. Use the -o flag or redirect\n',
    });
    expect(await docker('docker load')).toEqual({ code: 1, stdout: '', stderr: 'requested load from stdin, but stdin is empty\n' });
    expect(await docker('docker load -i nope.tar')).toEqual({ code: 1, stdout: '', stderr: 'open nope.tar: no such file or directory\n' });
    expect((await docker('docker save -o x.tar nope')).stderr).toBe('Error response from daemon: No such image: nope:latest\n');
  });

  it('loads an OCI layout or an archive from a URL', async () => {
    const layout = path.join(fixturesDir(), 'demo-layout');
    const archive = fixtureArchive('busybox-oci.tar');
    const server = http.createServer((req, res) => {
      if (req.url === '/busybox.tar') return void res.end(archive);
      readFile(path.join(layout, req.url!.replace(/^\/layout\//, ''))).then(
        (b) => res.end(b),
        () => {
          res.statusCode = 404;
          res.end('not found');
        },
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const fresh = (await freshEngine()).engine;
      const run = (line: string) => dockerCommand(fresh, line);
      expect(await run(`docker load -i ${base}/layout/`)).toEqual({
        code: 0,
        stdout: 'Loaded image: hello:latest\nLoaded image: web:latest\nLoaded image: busybox:latest\n',
        stderr: '',
      });
      expect((await run(`docker load -i ${base}/layout/index.json`)).stdout).toBe(
        'Loaded image: hello:latest\nLoaded image: web:latest\nLoaded image: busybox:latest\n',
      );
      expect((await run(`docker load -i ${base}/busybox.tar`)).stdout).toBe('Loaded image: fixtures/busybox:latest\n');
      expect(await run(`docker load -i ${base}/missing.tar`)).toEqual({
        code: 1,
        stdout: '',
        stderr: `failed to fetch ${base}/missing.tar: HTTP 404 Not Found\n`,
      });
    } finally {
      server.close();
    }
  });
});

// `docker build` over a real Engine (fake-indexeddb) with fake nodes: the steps that need no
// process (FROM, COPY, ENV, WORKDIR, CMD, LABEL…), the image they make (config, history, layers,
// the files in it), the cache across rebuilds, reproducible digests with SOURCE_DATE_EPOCH,
// `.dockerignore`, -q/--iidfile, `builder prune`, and the errors. RUN runs in the browser tests.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${VAR}` in a Dockerfile is the data under test, not a template.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VirtualFiles } from '../../../cli/virtual-files.ts';
import { writeTar, writeTarEntries } from '../../../core/archive/tar-writer.ts';
import { sha256Of } from '../../../core/oci/digest.ts';
import { type Engine, engineInternals } from '../../../engine/engine.ts';
import { containerEngine, dockerCommand } from '../../support/cli-helpers.ts';

let engine: Engine;
let files: VirtualFiles;
const docker = (line: string) => dockerCommand(engine, line, files);
const write = (path: string, text: string) => files.set(path, new TextEncoder().encode(text));
const read = async (image: string, path: string) => {
  const c = await docker(`docker create ${image}`);
  const id = c.stdout.trim();
  const r = await docker(`docker cp ${id}:${path} out`);
  await docker(`docker rm ${id}`);
  return r.code === 0 ? new TextDecoder().decode(files.get('out')) : undefined;
};

const DOCKERFILE = `# syntax=docker/dockerfile:1
FROM test/tools AS base
ARG VERSION=1
ENV APP_HOME=/srv/app VERSION=$VERSION
WORKDIR \${APP_HOME}
COPY conf/ ./conf/
COPY --chmod=755 run.sh /usr/local/bin/
LABEL org.example.version=$VERSION
EXPOSE 8080
CMD ["run.sh"]
`;

beforeEach(async () => {
  ({ engine, files } = await containerEngine());
  write('app/Dockerfile', DOCKERFILE);
  write('app/conf/a.conf', 'a=1\n');
  write('app/conf/b.conf', 'b=2\n');
  write('app/run.sh', '#!/bin/sh\n');
  write('app/notes.md', 'not copied\n');
});
afterEach(async () => {
  await new Promise((r) => setTimeout(r, 60));
  engine.close();
});

describe('docker build', () => {
  it('makes an image: config, history, the copied files with their modes', async () => {
    const b = await docker('docker build -t app:1 --build-arg VERSION=2 app');
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).toMatch(/^#1 \[internal\] load build definition from Dockerfile\n#1 DONE \d+\.\ds\n\n#2 \[1\/4\] FROM test\/tools\n/);
    expect(b.stderr).toContain('] COPY conf/ ./conf/\n');
    const img = await engine.images.inspect('app:1');
    expect(img.Config).toMatchObject({
      Env: expect.arrayContaining(['APP_HOME=/srv/app', 'VERSION=2']),
      WorkingDir: '/srv/app',
      Cmd: ['run.sh'],
      Labels: expect.objectContaining({ 'org.example.version': '2', 'org.example.image': 'tools' }),
      ExposedPorts: { '8080/tcp': {} },
    });
    const history = (await engine.images.history('app:1')).map((h) => h.CreatedBy);
    expect(history.slice(0, 4)).toEqual(['CMD ["run.sh"]', 'EXPOSE map[8080/tcp:{}]', 'LABEL org.example.version=2', 'COPY run.sh /usr/local/bin/ # buildkit']);
    expect(await read('app:1', '/srv/app/conf/b.conf')).toBe('b=2\n');
    expect(await read('app:1', '/usr/local/bin/run.sh')).toBe('#!/bin/sh\n');
    const stat = await engine.containers.statPath((await engine.containers.create({ image: 'app:1' })).Id, '/usr/local/bin/run.sh');
    expect(stat.mode & 0o777).toBe(0o755);
    // The base image's files are still there below the new layers.
    expect(await read('app:1', '/data/hello.txt')).toBe('hello from the image\n');
  });

  it('a rebuild with nothing changed is all CACHED and gives the same image; a changed file reruns from its COPY', async () => {
    const first = await docker('docker build -q app');
    expect(first.code, first.stderr).toBe(0);
    const again = await docker('docker build app');
    expect(again.stderr.match(/#\d+ CACHED/g)).toHaveLength(4);
    expect(again.stderr).toContain(`writing image ${first.stdout.trim()} done`);
    write('app/run.sh', '#!/bin/sh\necho v2\n');
    const changed = await docker('docker build app');
    const cached = [...changed.stderr.matchAll(/#(\d+) (\[\d\/\d\] [^\n]*)\n(?:#\1 CACHED)?/g)].filter((m) => m[0].includes('CACHED')).map((m) => m[2]);
    expect(cached).toEqual(['[1/4] FROM test/tools', '[2/4] WORKDIR ${APP_HOME}', '[3/4] COPY conf/ ./conf/']);
    // --no-cache runs every step again.
    expect((await docker('docker build --no-cache app')).stderr).not.toMatch(/\] (COPY|WORKDIR)[^\n]*\n#\d+ CACHED/);
  });

  it('gives the same digest for the same inputs with SOURCE_DATE_EPOCH, in a fresh engine too', async () => {
    const a = await docker('docker build -q --build-arg SOURCE_DATE_EPOCH=1700000000 app');
    expect(a.code, a.stderr).toBe(0);
    engine.close();
    ({ engine, files } = await containerEngine());
    write('app/Dockerfile', DOCKERFILE);
    write('app/conf/a.conf', 'a=1\n');
    write('app/conf/b.conf', 'b=2\n');
    write('app/run.sh', '#!/bin/sh\n');
    const b = await docker('docker build -q --build-arg SOURCE_DATE_EPOCH=1700000000 app');
    expect(b.stdout).toBe(a.stdout);
    expect((await engine.images.inspect(b.stdout.trim())).Created).toBe('2023-11-14T22:13:20Z');
  });

  it('honours .dockerignore, -f, --target, --iidfile and --label', async () => {
    write('app/.dockerignore', '*.md\nconf/b.conf\n');
    write('app/Dockerfile.all', 'FROM test/tools AS one\nCOPY . /ctx/\nFROM one AS two\nLABEL stage=two\nFROM two\nLABEL stage=three\n');
    const b = await docker('docker build -f app/Dockerfile.all --target two --iidfile id.txt --label from=cli -t ctx app');
    expect(b.code, b.stderr).toBe(0);
    const id = new TextDecoder().decode(files.get('id.txt'));
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    const img = await engine.images.inspect('ctx');
    expect(img.Id).toBe(id);
    expect(img.Config?.Labels).toMatchObject({ stage: 'two', from: 'cli' });
    expect(await read('ctx', '/ctx/notes.md')).toBeUndefined();
    expect(await read('ctx', '/ctx/conf/b.conf')).toBeUndefined();
    expect(await read('ctx', '/ctx/conf/a.conf')).toBe('a=1\n');
  });

  it('ADD unpacks a local tar (plain or gzip) into the destination; COPY copies it as it is', async () => {
    const tar = writeTar([{ name: 'pkg/lib/x.txt', data: new TextEncoder().encode('from the tar\n') }]);
    files.set('add/bundle.tar', tar);
    files.set(
      'add/bundle.tgz',
      new Uint8Array(await new Response(new Blob([tar as BlobPart]).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer()),
    );
    write('add/Dockerfile', 'FROM test/tools\nADD bundle.tar /opt/\nADD bundle.tgz /srv\nCOPY bundle.tar /keep/\n');
    const b = await docker('docker build -t added add');
    expect(b.code, b.stderr).toBe(0);
    expect(await read('added', '/opt/pkg/lib/x.txt')).toBe('from the tar\n');
    expect(await read('added', '/srv/pkg/lib/x.txt')).toBe('from the tar\n');
    expect((await read('added', '/keep/bundle.tar'))?.length).toBe(tar.byteLength);
  });

  it('ADD of a URL fetches it: 0600, Last-Modified as its time, not unpacked, --checksum checked, 404 refused', async () => {
    const tar = writeTar([{ name: 'inside.txt', data: new TextEncoder().encode('x') }]);
    const server = createServer((req, res) => {
      if (req.url === '/files/bundle.tar') {
        res.writeHead(200, { 'Content-Length': tar.byteLength, 'Last-Modified': 'Tue, 01 Dec 2026 10:00:00 GMT' }).end(tar);
      } else res.writeHead(404).end('no');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const sum = await sha256Of(tar);
      write('url/Dockerfile', `FROM test/tools\nADD --checksum=${sum} ${base}/files/bundle.tar /dl/\nADD ${base}/files/bundle.tar /named.tar\n`);
      const b = await docker('docker build -t fetched url');
      expect(b.code, b.stderr).toBe(0);
      expect((await read('fetched', '/dl/bundle.tar'))?.length).toBe(tar.byteLength);
      expect((await read('fetched', '/named.tar'))?.length).toBe(tar.byteLength);
      expect(await read('fetched', '/dl/inside.txt')).toBeUndefined();
      const tree = await engineInternals(engine).snapshots.merged((await engine.images.resolve('fetched')).chainIds);
      expect(tree.entries.get('/dl/bundle.tar')).toMatchObject({ mode: 0o600, mtime: Date.parse('2026-12-01T10:00:00Z') / 1000 });
      write('url/Dockerfile', `FROM test/tools\nADD --checksum=sha256:${'0'.repeat(64)} ${base}/files/bundle.tar /dl/\n`);
      expect((await docker('docker build url')).stderr).toContain(`digest mismatch for ${base}/files/bundle.tar: ${sum}`);
      write('url/Dockerfile', `FROM test/tools\nADD ${base}/missing.tar /dl/\n`);
      expect((await docker('docker build url')).stderr).toContain('failed to solve: failed to load cache key: invalid response status 404');
    } finally {
      server.close();
    }
  });

  it('keeps what the source says: ADD’s tar and COPY --from keep types, modes and owners; parents that exist keep theirs', async () => {
    const enc = new TextEncoder();
    files.set(
      'meta/tree.tar',
      writeTarEntries([
        { name: 'bin/', type: 'dir', mode: 0o700, uid: 1000, gid: 1000 },
        { name: 'bin/tool', type: 'file', mode: 0o750, data: enc.encode('tool') },
        { name: 'bin/tool-link', type: 'symlink', linkTarget: 'tool' },
        { name: 'bin/tool-hard', type: 'hardlink', linkTarget: 'bin/tool' },
        { name: 'emptydir/', type: 'dir', mode: 0o711 },
      ]),
    );
    files.set(
      'meta/base.tar',
      writeTarEntries([
        { name: 'tmp/', type: 'dir', mode: 0o1777 },
        { name: 'home/', type: 'dir', mode: 0o755 },
        { name: 'home/app/', type: 'dir', mode: 0o750, uid: 1000, gid: 1000 },
      ]),
    );
    write('meta/f.txt', 'f\n');
    write('meta/data/sub/b.txt', 'b\n');
    write(
      'meta/Dockerfile',
      'FROM test/tools AS src\nADD tree.tar /out/\nFROM test/tools\nADD base.tar /\nCOPY f.txt /tmp/\nCOPY f.txt /home/app/\nCOPY --from=src /out /dst\nCOPY --chown=1000:1000 data /srv/data/\n',
    );
    const b = await docker('docker build -t meta meta');
    expect(b.code, b.stderr).toBe(0);
    const tree = await engineInternals(engine).snapshots.merged((await engine.images.resolve('meta')).chainIds);
    const at = (p: string) => {
      const e = tree.entries.get(p);
      return e && { type: e.type, mode: e.mode & 0o7777, uid: e.uid, gid: e.gid, ...(e.linkTarget ? { link: e.linkTarget } : {}) };
    };
    expect(at('/tmp')).toEqual({ type: 'dir', mode: 0o1777, uid: 0, gid: 0 });
    expect(at('/home/app')).toEqual({ type: 'dir', mode: 0o750, uid: 1000, gid: 1000 });
    expect(at('/dst/bin')).toEqual({ type: 'dir', mode: 0o700, uid: 1000, gid: 1000 });
    expect(at('/dst/bin/tool')).toEqual({ type: 'file', mode: 0o750, uid: 0, gid: 0 });
    expect(at('/dst/bin/tool-hard')).toEqual({ type: 'file', mode: 0o750, uid: 0, gid: 0 });
    expect(tree.entries.get('/dst/bin/tool-hard')?.hardlinkTo).toBe('/dst/bin/tool');
    expect(at('/dst/bin/tool-link')).toEqual({ type: 'symlink', mode: 0o777, uid: 0, gid: 0, link: 'tool' });
    expect(at('/dst/emptydir')).toEqual({ type: 'dir', mode: 0o711, uid: 0, gid: 0 });
    expect(at('/srv/data/sub')).toEqual({ type: 'dir', mode: 0o755, uid: 1000, gid: 1000 });
    expect(at('/srv/data/sub/b.txt')).toEqual({ type: 'file', mode: 0o644, uid: 1000, gid: 1000 });
  });

  it('COPY --exclude leaves out what its patterns match below the source', async () => {
    write('ex/Dockerfile', 'FROM test/tools\nCOPY --exclude=*.md --exclude=conf/b.conf . /ctx/\n');
    write('ex/conf/b.conf', 'b\n');
    write('ex/conf/c.conf', 'c\n');
    write('ex/README.md', 'r\n');
    expect((await docker('docker build -t excluded ex')).code).toBe(0);
    expect(await read('excluded', '/ctx/README.md')).toBeUndefined();
    expect(await read('excluded', '/ctx/conf/b.conf')).toBeUndefined();
    expect(await read('excluded', '/ctx/conf/c.conf')).toBe('c\n');
  });

  it('ONBUILD records triggers; a build FROM that image runs them first, numbered, and does not pass them on', async () => {
    write('ob/base.Dockerfile', 'FROM test/tools\nONBUILD COPY trigger.txt /from-trigger.txt\nONBUILD LABEL triggered=yes\n');
    write('ob/trigger.txt', 'ran\n');
    expect((await docker('docker build -t obbase -f ob/base.Dockerfile ob')).code).toBe(0);
    expect((await engine.images.inspect('obbase')).Config?.OnBuild).toEqual(['COPY trigger.txt /from-trigger.txt', 'LABEL triggered=yes']);
    write('ob/Dockerfile', 'FROM obbase\nCOPY trigger.txt /again.txt\n');
    const b = await docker('docker build -t obchild ob');
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).toContain('[1/3] FROM obbase\n');
    expect(b.stderr).toContain('[2/3] ONBUILD COPY trigger.txt /from-trigger.txt\n');
    expect(b.stderr).toContain('[3/3] COPY trigger.txt /again.txt\n');
    expect(await read('obchild', '/from-trigger.txt')).toBe('ran\n');
    const child = await engine.images.inspect('obchild');
    expect(child.Config?.Labels).toMatchObject({ triggered: 'yes' });
    expect(child.Config?.OnBuild ?? null).toBeNull();
  });

  it('COPY --chown by name reads the stage’s /etc/passwd and /etc/group', async () => {
    write('own/passwd', 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n');
    write('own/group', 'root:x:0:\nstaff:x:50:\n');
    write('own/f.txt', 'owned\n');
    write('own/Dockerfile', 'FROM test/tools\nCOPY passwd group /etc/\nCOPY --chown=app:staff f.txt /a.txt\nCOPY --chown=app f.txt /b.txt\n');
    expect((await docker('docker build -t owned own')).code).toBe(0);
    const tree = await engineInternals(engine).snapshots.merged((await engine.images.resolve('owned')).chainIds);
    expect(tree.entries.get('/a.txt')).toMatchObject({ uid: 1000, gid: 50 });
    expect(tree.entries.get('/b.txt')).toMatchObject({ uid: 1000, gid: 1000 });
    write('own/Dockerfile', 'FROM test/tools\nCOPY --chown=nobody f.txt /c.txt\n');
    expect((await docker('docker build own')).stderr).toContain(
      "unable to convert uid/gid chown string to host mapping: can't find uid for user nobody: no such user: nobody",
    );
  });

  it('reports Docker’s errors, tags nothing and leaves no cache behind for a failed step', async () => {
    write('bad/Dockerfile', 'FROM test/tools\nCOPY missing.txt /\n');
    const missing = await docker('docker build -t bad bad');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(
      'ERROR: failed to build: failed to solve: failed to compute cache key: failed to calculate checksum of ref: "/missing.txt": not found',
    );
    expect((await docker('docker image inspect bad')).code).toBe(1);
    write('bad/Dockerfile', 'FROM test/tools\nFORM x\n');
    const unknown = await docker('docker build bad');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/line 2: unknown instruction: FORM/);
    write('bad/Dockerfile', '');
    expect((await docker('docker build bad')).code).toBe(1);
    expect((await docker('docker build nothere')).stderr).toContain('unable to prepare context: path "nothere" not found');
    // One 64 MiB buffer under nine names: a 576 MiB context, over the tab's 512 MiB limit.
    const chunk = new Uint8Array(64 * 2 ** 20);
    for (let i = 0; i < 9; i++) files.set(`huge/part-${i}.bin`, chunk);
    write('huge/Dockerfile', 'FROM test/tools\n');
    const huge = await docker('docker build huge');
    expect([huge.code, huge.stderr]).toEqual([1, expect.stringContaining('build context is larger than 512 MiB')]);
    expect((await docker('docker build --build-arg SOURCE_DATE_EPOCH=yesterday app')).stderr).toContain(
      'failed to solve: invalid SOURCE_DATE_EPOCH: yesterday',
    );
  });

  it('commit makes a container’s changes a layer with -c changes; import makes a tarball an image', async () => {
    expect((await docker('docker create --name box test/tools echo from-box')).code).toBe(0);
    write('note.txt', 'added in the container\n');
    expect((await docker('docker cp note.txt box:/data/note.txt')).code).toBe(0);
    const c = await docker('docker commit -a "A. Author" -m "a note" -c "CMD [\\"echo\\", \\"committed\\"]" -c "ENV MODE=prod" box committed:1');
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect(await read('committed:1', '/data/note.txt')).toBe('added in the container\n');
    expect((await docker('docker run --rm committed:1')).stdout).toBe('committed\n');
    const img = await engine.images.inspect('committed:1');
    expect(img.Config?.Env).toContain('MODE=prod');
    expect(img.RootFS.Layers).toHaveLength((await engine.images.inspect('test/tools')).RootFS.Layers.length + 1);
    const top = (await engine.images.history('committed:1'))[0]!;
    expect(top).toMatchObject({ CreatedBy: 'tools.wasm echo from-box', Comment: 'a note' });
    expect((await docker('docker commit -c "RUN true" box')).stderr).toContain('run is not a valid change command');

    files.set('rootfs.tar', writeTar([{ name: 'etc/issue', data: new TextEncoder().encode('imported\n') }]));
    const i = await docker('docker import -c "WORKDIR /etc" -c "CMD [\\"sh\\"]" rootfs.tar imported');
    expect(i.code, i.stderr).toBe(0);
    const imported = await engine.images.inspect('imported');
    expect(imported).toMatchObject({ Os: 'linux', Architecture: '386', Config: expect.objectContaining({ WorkingDir: '/etc' }) });
    expect(imported.RootFS.Layers).toHaveLength(1);
    expect(await read('imported', '/etc/issue')).toBe('imported\n');
  });

  it('builder prune empties the cache: the next build runs every step', async () => {
    expect((await docker('docker build -t app app')).code).toBe(0);
    const before = (await engine.images.list({ all: true })).length;
    expect((await engine.images.list()).length).toBeLessThan(before);
    const p = await docker('docker builder prune -f');
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout).toMatch(/^Total:\t/);
    // The tagged image stays, the steps' images go.
    expect((await engine.images.list({ all: true })).length).toBe((await engine.images.list()).length);
    expect((await docker('docker run --rm app echo still-here')).stdout).toBe('still-here\n');
    expect((await docker('docker build app')).stderr).not.toMatch(/\] COPY[^\n]*\n#\d+ CACHED/);
  });
});

// `docker build` in the demo page: RUN steps in real x86 containers on node Workers, COPY from the
// page's host files, the build cache (CACHED, and a changed file reruns only what follows it),
// multi-stage with --target, independent stages side by side on two nodes, .dockerignore, heredocs,
// a WASI image, and Docker’s errors.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type BrowserSession, launchChromium } from '../support/chromium.ts';

const baseUrl = inject('baseUrl');
let s: BrowserSession;

const docker = (cmd: string) => s.page.evaluate((c) => window.docker(c), cmd);
const writeFile = (path: string, text: string) => s.page.evaluate(([p, t]) => window.dockerFiles.set(p!, new TextEncoder().encode(t)), [path, text]);

const APP = `FROM busybox
ARG WHO=hi
ENV APP=/app
WORKDIR $APP
COPY hello.txt ./
RUN echo "$WHO from run" > run.txt && rm /bin/vi
RUN <<EOF
echo from-heredoc > /app/heredoc.txt
EOF
COPY . /ctx/
CMD ["cat", "/app/hello.txt", "/app/run.txt", "/app/heredoc.txt"]
`;

const writeContext = async () => {
  await writeFile('app/Dockerfile', APP);
  await writeFile('app/hello.txt', 'changed\n');
  await writeFile('app/secret.env', 'TOKEN=x\n');
  await writeFile('app/.dockerignore', '*.env\n');
};

beforeAll(async () => {
  s = await launchChromium();
  await s.page.goto(`${baseUrl}/demo/index.html?db=build&noproxy`);
  await s.page.evaluate(() => window.engineReady);
  await writeContext();
  await writeFile('app/hello.txt', 'hello from the context\n');
});
afterAll(() => s?.close());

const steps = (stderr: string) =>
  stderr
    .split('\n')
    .filter((l) => /^#\d+ \[\d\/\d\]/.test(l))
    .map((l) => l.replace(/^#\d+ /, ''));

describe('docker build', () => {
  it('builds an x86 image: RUN in a container, COPY from the host files, whiteouts, heredocs', async () => {
    const b = await docker('docker build -t app --build-arg WHO=hey app');
    expect(b.code, b.stderr).toBe(0);
    expect(steps(b.stderr)).toEqual([
      '[1/6] FROM busybox',
      '[2/6] WORKDIR $APP',
      '[3/6] COPY hello.txt ./',
      '[4/6] RUN echo "$WHO from run" > run.txt && rm /bin/vi',
      expect.stringMatching(/^\[5\/6\] RUN <<EOF/),
      '[6/6] COPY . /ctx/',
    ]);
    expect(b.stderr).toMatch(/#\d+ writing image sha256:[0-9a-f]{64} done\n#\d+ naming to app done/);
    const run = await docker('docker run --rm app');
    expect(run).toMatchObject({ code: 0, stdout: 'hello from the context\nhey from run\nfrom-heredoc\n' });
    // The RUN's rm is a whiteout over the base image's file.
    expect((await docker('docker run --rm app ls /bin/vi')).code).not.toBe(0);
    // .dockerignore kept secret.env out of `COPY .`; the Dockerfile itself is in the context.
    expect((await docker('docker run --rm app ls /ctx')).stdout).toBe('Dockerfile\nhello.txt\n');
    const history = await docker('docker history --no-trunc --format "{{.CreatedBy}}" app');
    expect(history.stdout.split('\n').slice(0, 3)).toEqual([
      'CMD ["cat","/app/hello.txt","/app/run.txt","/app/heredoc.txt"]',
      'COPY . /ctx/ # buildkit',
      expect.stringMatching(/^RUN \/bin\/sh -c echo from-heredoc/),
    ]);
    expect((await docker('docker inspect -f "{{.Config.WorkingDir}}" app')).stdout).toBe('/app\n');
    expect((await docker('docker run --rm app sh -c "echo $APP; pwd"')).stdout).toBe('/app\n/app\n');
  });

  it('reuses every step of an unchanged rebuild, and reruns from the COPY of a changed file', async () => {
    const again = await docker('docker build -t app --build-arg WHO=hey app');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr.match(/#\d+ CACHED/g)?.length).toBe(6);
    const id1 = (await docker('docker inspect -f "{{.Id}}" app')).stdout;
    await writeFile('app/hello.txt', 'changed\n');
    const changed = await docker('docker build -t app --build-arg WHO=hey app');
    expect(changed.code, changed.stderr).toBe(0);
    const cachedIds = [...changed.stderr.matchAll(/#(\d+) CACHED/g)].map((m) => Number(m[1]));
    const named = new Map([...changed.stderr.matchAll(/#(\d+) (\[\d\/\d\] .*)/g)].map((m) => [Number(m[1]), m[2]!]));
    expect(cachedIds.map((i) => named.get(i))).toEqual(['[1/6] FROM busybox', '[2/6] WORKDIR $APP']);
    expect((await docker('docker run --rm app')).stdout).toBe('changed\nhey from run\nfrom-heredoc\n');
    expect((await docker('docker inspect -f "{{.Id}}" app')).stdout).not.toBe(id1);
    // The cache survives a reload (the host files do not: they are the page's memory).
    await s.page.reload();
    await s.page.evaluate(() => window.engineReady);
    await writeContext();
    const reloaded = await docker('docker build -q -t app --build-arg WHO=hey app');
    expect(reloaded.code, reloaded.stderr).toBe(0);
    expect(reloaded.stdout).toBe((await docker('docker inspect -f "{{.Id}}" app')).stdout);
  });

  it('builds only what --target needs, and stops at a failing RUN with Docker’s error, tagging nothing', async () => {
    await writeFile(
      'multi/Dockerfile',
      'FROM busybox AS base\nRUN echo base > /base.txt\n\nFROM base AS tools\nRUN echo tools > /tools.txt\n\nFROM busybox\nCOPY --from=tools /tools.txt /\nRUN exit 3\n',
    );
    const t = await docker('docker build --target tools -t tools multi');
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).not.toContain('RUN exit 3');
    expect((await docker('docker run --rm tools cat /base.txt /tools.txt')).stdout).toBe('base\ntools\n');
    const fail = await docker('docker build -t final multi');
    expect(fail.code).toBe(1);
    expect(fail.stderr).toContain('ERROR: failed to build: failed to solve: process "/bin/sh -c exit 3" did not complete successfully: exit code: 3');
    expect((await docker('docker image inspect final')).code).toBe(1);
    // No build container is left behind.
    expect((await docker('docker ps -a -q --filter label=com.docker.build')).stdout).toBe('');
  });

  it('runs independent stages side by side, their RUN containers on different nodes', async () => {
    await writeFile(
      'wide/Dockerfile',
      'FROM busybox AS left\nRUN sleep 2 && echo left > /left.txt\n\nFROM busybox AS right\nRUN sleep 2 && echo right > /right.txt\n\nFROM busybox\nCOPY --from=left /left.txt /\nCOPY --from=right /right.txt /\n',
    );
    // Both nodes warm (a node's first x86 container loads the guest kit), so the overlap is the build's.
    await Promise.all([docker('docker run --rm busybox true'), docker('docker run --rm busybox true')]);
    await s.page.evaluate(() => {
      const w = window as unknown as { runs: { action: string; id: string; node?: string }[] };
      w.runs = [];
      window.engine.onEvent((e) => {
        if (e.Type === 'container' && (e.Action === 'start' || e.Action === 'die'))
          w.runs.push({ action: e.Action, id: e.Actor.ID, node: e.Actor.Attributes['node'] });
      });
    });
    const b = await docker('docker build --no-cache -t wide wide');
    expect(b.code, b.stderr).toBe(0);
    expect((await docker('docker run --rm wide cat /left.txt /right.txt')).stdout).toBe('left\nright\n');
    const runs = await s.page.evaluate(() => (window as unknown as { runs: { action: string; id: string; node?: string }[] }).runs);
    const starts = runs.filter((r) => r.action === 'start').slice(0, 2);
    expect(new Set(starts.map((r) => r.node)).size).toBe(2);
    // Both started before either ended: they overlapped.
    expect(runs.slice(0, 2).map((r) => r.action)).toEqual(['start', 'start']);
  });

  it('keeps a RUN cache mount between builds until builder prune; a tmpfs mount stays out of the layer', async () => {
    await writeFile(
      'mounts/Dockerfile',
      "FROM busybox\nRUN --mount=type=cache,target=/cache --mount=type=tmpfs,target=/scratch sh -c 'echo run >> /cache/log; wc -l < /cache/log > /count; echo x > /scratch/f'\n",
    );
    const count = async () => {
      const b = await docker('docker build --no-cache -t mounts mounts');
      expect(b.code, b.stderr).toBe(0);
      // Neither mount's files are in the layer.
      return (await docker(`docker run --rm mounts sh -c 'cat /count; test -e /cache/log || test -e /scratch/f || echo clean'`)).stdout;
    };
    expect(await count()).toBe('1\nclean\n');
    expect(await count()).toBe('2\nclean\n');
    expect((await docker('docker volume ls -q --filter label=com.docker.build.cache-mount')).stdout).toMatch(/^buildkit-cache-[0-9a-f]{16}\n$/);
    expect((await docker('docker builder prune -f')).code).toBe(0);
    expect((await docker('docker volume ls -q --filter label=com.docker.build.cache-mount')).stdout).toBe('');
    expect(await count()).toBe('1\nclean\n');
    await writeFile('mounts/Dockerfile', 'FROM busybox\nRUN --mount=type=bind,source=.,target=/src ls /src\n');
    expect((await docker('docker build mounts')).stderr).toContain('RUN --mount=type=bind is not supported by the browser builder');
  });

  it('stops a build cancelled half-way: no image tagged, no step container or step image left', async () => {
    const before = (await docker('docker images -a -q --no-trunc')).stdout;
    const outcome = await s.page.evaluate(async () => {
      const ac = new AbortController();
      // Cancel once the RUN step's container has started.
      const off = window.engine.onEvent((e) => {
        if (e.Type === 'container' && e.Action === 'start') setTimeout(() => ac.abort(), 300);
      });
      const dockerfile = new TextEncoder().encode('FROM busybox\nRUN echo started; sleep 30\nLABEL never=reached\n');
      try {
        await window.engine.images.build({ context: { files: new Map([['Dockerfile', dockerfile]]) }, tags: ['cancelled'], noCache: true, signal: ac.signal });
        return 'built';
      } catch (e) {
        return (e as Error).name;
      } finally {
        off();
      }
    });
    expect(outcome).toBe('AbortError');
    expect((await docker('docker image inspect cancelled')).code).toBe(1);
    await expect.poll(async () => (await docker('docker ps -a -q --filter label=com.docker.build')).stdout).toBe('');
    expect((await docker('docker images -a -q --no-trunc')).stdout).toBe(before);
  });

  it('reports Docker’s errors: unknown instruction, missing or outside COPY source, no stage, a stage cycle, a context too big', async () => {
    await writeFile('bad/Dockerfile', 'FROM busybox\nFORM x\n');
    const bad = await docker('docker build bad');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/line 2: unknown instruction: FORM/);
    await writeFile('bad/Dockerfile', 'FROM busybox\nCOPY nothere.txt /\n');
    const missing = await docker('docker build bad');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('"/nothere.txt": not found');
    const errorOf = async (dockerfile: string) => {
      await writeFile('bad/Dockerfile', dockerfile);
      const r = await docker('docker build bad');
      expect(r.code).toBe(1);
      return r.stderr;
    };
    expect(await errorOf('# no stage\nARG X=1\n')).toContain('failed to solve: dockerfile contains no stages to build');
    expect(await errorOf('FROM busybox\nCOPY ../outside.txt /\n')).toContain('forbidden path outside the build context: ../outside.txt');
    expect(await errorOf('FROM busybox AS a\nCOPY --from=b /x /x\nFROM busybox AS b\nCOPY --from=a /y /y\n')).toContain(
      'circular dependency detected on stage: b',
    );
    // One 64 MiB buffer under nine names: a 576 MiB context, over the tab's 512 MiB limit.
    await s.page.evaluate(() => {
      const chunk = new Uint8Array(64 * 2 ** 20);
      for (let i = 0; i < 9; i++) window.dockerFiles.set(`huge/part-${i}.bin`, chunk);
      window.dockerFiles.set('huge/Dockerfile', new TextEncoder().encode('FROM busybox\n'));
    });
    expect((await docker('docker build huge')).stderr).toContain('build context is larger than 512 MiB');
  });

  it('compose builds a service that has build:, names the image proj-service, and runs it', async () => {
    await writeFile('shop/api/Dockerfile', 'FROM busybox\nCOPY msg.txt /msg.txt\nCMD ["sh", "-c", "cat /msg.txt; sleep 3600"]\n');
    await writeFile('shop/api/msg.txt', 'built by compose\n');
    await writeFile('shop/compose.yaml', 'services:\n  api:\n    build: ./api\n    stop_grace_period: 1s\n');
    const up = await docker('docker compose -f shop/compose.yaml up -d');
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain(' Image shop-api  Built');
    await expect
      .poll(async () => (await docker('docker compose -f shop/compose.yaml logs --no-log-prefix api')).stdout, { timeout: 15_000 })
      .toBe('built by compose\n');
    expect((await docker('docker inspect -f "{{.Config.Image}}" shop-api-1')).stdout).toBe('shop-api\n');
    // Unchanged: no rebuild without --build; with it, every step is cached and the container is left alone.
    const again = await docker('docker compose -f shop/compose.yaml up -d --build');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(' Container shop-api-1  Running');
    expect((await docker('docker compose -f shop/compose.yaml down -t 0')).code).toBe(0);
  });

  it('commits an x86 container’s changes, deletions included, as a new image', async () => {
    expect((await docker('docker run --name changed busybox sh -c "echo made-here > /made.txt && rm /bin/vi"')).code).toBe(0);
    const c = await docker('docker commit -c "CMD [\\"cat\\", \\"/made.txt\\"]" changed snap');
    expect(c.code, c.stderr).toBe(0);
    expect((await docker('docker run --rm snap')).stdout).toBe('made-here\n');
    expect((await docker('docker run --rm snap ls /bin/vi')).code).not.toBe(0);
    expect((await docker('docker rm changed')).code).toBe(0);
  });

  it('builds a WASI image on the built-in hello', async () => {
    await writeFile('wasi/Dockerfile', 'FROM hello\nLABEL org.example.built=yes\nCOPY note.txt /note.txt\n');
    await writeFile('wasi/note.txt', 'a note\n');
    const b = await docker('docker build -t hello-plus wasi');
    expect(b.code, b.stderr).toBe(0);
    expect((await docker('docker run --rm hello-plus')).stdout).toContain('hello from wasm32-wasi');
    expect((await docker('docker inspect -f "{{index .Config.Labels \\"org.example.built\\"}} {{.Os}}/{{.Architecture}}" hello-plus')).stdout).toBe(
      'yes wasi/wasm\n',
    );
  });
});

// docker run/create/start/stop/kill/restart/rm/wait/rename/exec/logs/inspect over a real
// Engine whose nodes are fakes that interpret argv (fake-node.ts): flags, output, exit statuses.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runDocker } from '../../../cli/docker.ts';
import type { VirtualFiles } from '../../../cli/virtual-files.ts';
import { containerScope, volumeScope } from '../../../core/store/fs-entries.ts';
import type { Engine } from '../../../engine/engine.ts';
import { containerEngine, dockerCommand, until } from '../../support/cli-helpers.ts';
import type { FakeCluster } from '../../support/fake-node.ts';
import { loadToolsImage } from '../../support/tools-image.ts';

let engine: Engine;
let files: VirtualFiles;
let cluster: FakeCluster;
const docker = (line: string, stdin?: string) => dockerCommand(engine, line, files, stdin === undefined ? {} : { stdin });
const ID64 = /^[0-9a-f]{64}\n$/;

beforeEach(async () => {
  ({ engine, files, cluster } = await containerEngine());
});
// The engine writes logs in batches a few milliseconds apart: let the last one land before closing.
afterEach(async () => {
  await new Promise((r) => setTimeout(r, 60));
  engine.close();
});

describe('docker run', () => {
  it('runs attached: output on stdout and stderr, the container’s exit status', async () => {
    expect(await docker('docker run test/tools echo hi there')).toEqual({ code: 0, stdout: 'hi there\n', stderr: '' });
    expect(await docker('docker run test/tools both')).toEqual({ code: 0, stdout: 'to stdout\n', stderr: 'to stderr\n' });
    expect(await docker('docker run test/tools exit 3')).toEqual({ code: 3, stdout: '', stderr: '' });
    // The image's Entrypoint + Cmd when no command is given.
    expect((await docker('docker container run test/tools')).stdout).toBe('hello\n');
  });

  it('-d prints the full ID and leaves the container running', async () => {
    const r = await docker('docker run -d --name bg test/tools spin');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(ID64);
    expect((await docker('docker ps -q')).stdout).toBe(`${r.stdout.slice(0, 12)}\n`);
    expect(engine.containers.inspect('bg').State.Running).toBe(true);
  });

  it('--rm removes the container once it exits', async () => {
    expect((await docker('docker run --rm --name gone test/tools exit 2')).code).toBe(2);
    expect((await docker('docker ps -aq')).stdout).toBe('');
  });

  it('tells every node to forget a removed container’s layer and a removed volume', async () => {
    const id = (await docker('docker create -v data:/data test/tools true')).stdout.trim();
    expect(await docker(`docker rm ${id}`)).toMatchObject({ code: 0 });
    expect(await docker('docker volume rm data')).toMatchObject({ code: 0 });
    await new Promise((r) => setTimeout(r, 10));
    // Two nodes each: the container's writable layer, then the volume.
    expect(cluster.forgotten).toEqual([containerScope(id), containerScope(id), volumeScope('data'), volumeScope('data')]);
  });

  it('passes stdin with -i, and none without', async () => {
    expect(await docker('docker run -i test/tools cat', 'line 1\nline 2\n')).toEqual({ code: 0, stdout: 'line 1\nline 2\n', stderr: '' });
    expect(await docker('docker run -i test/tools cat')).toEqual({ code: 0, stdout: '', stderr: '' });
    expect((await docker('docker run test/tools cat', 'ignored\n')).stdout).toBe('');
    expect(await docker('docker run -it test/tools cat')).toEqual({ code: 1, stdout: '', stderr: 'the input device is not a TTY\n' });
  });

  it('maps every flag onto the container’s configuration', async () => {
    files.set('env.list', new TextEncoder().encode('# comment\n\nFROM_FILE=1\nSHARED=file\nNOT_SET\n'));
    const r = await docker(
      'docker create --name web -e SHARED=flag -e NO_VALUE --env-file env.list -w /data -u user:staff -h myhost -l tier=web -l flag ' +
        '--restart on-failure:3 --stop-timeout 5 --stop-signal SIGINT -m 64m -v data:/data --mount type=tmpfs,target=/scratch ' +
        '-t -i --constraint node.name==node-2 --entrypoint tools.wasm test/tools echo x',
    );
    expect(r.stdout).toMatch(ID64);
    const c = engine.containers.inspect('web');
    expect(c.Config.Env).toEqual(['PATH=/bin', 'FROM_FILE=1', 'SHARED=flag']);
    expect(c.Config).toMatchObject({
      WorkingDir: '/data',
      User: 'user:staff',
      Hostname: 'myhost',
      Labels: { 'org.example.image': 'tools', tier: 'web', flag: '' },
      Entrypoint: ['tools.wasm'],
      Cmd: ['echo', 'x'],
      StopTimeout: 5,
      StopSignal: 'SIGINT',
      Tty: true,
      OpenStdin: true,
    });
    expect(c.HostConfig).toEqual({
      RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
      AutoRemove: false,
      Memory: 64 * 1024 * 1024,
      PlacementConstraints: ['node.name==node-2'],
      NetworkMode: 'bridge',
      PortBindings: {},
      PublishAllPorts: false,
    });
    expect(c.Mounts).toEqual([
      { Type: 'volume', Name: 'data', Destination: '/data', RW: true },
      { Type: 'tmpfs', Name: '', Destination: '/scratch', RW: true },
    ]);
    // What the process gets: the environment, working directory, user and placement.
    expect((await docker('docker start -a web')).stdout).toBe('x\n');
    const spec = cluster.spawned.at(-1)!;
    expect(spec).toMatchObject({ cwd: '/data', uid: 1000, gid: 50, hostname: 'myhost', tty: true, openStdin: true, memoryLimit: 64 * 1024 * 1024 });
    expect(engine.containers.inspect('web').Node).toBe('node-2');
    expect(spec.env).toContain('TERM=xterm');
  });

  it('reads docker’s env-file format and reports its errors', async () => {
    files.set('bad.env', new TextEncoder().encode('GOOD=1\nBAD KEY=2\n'));
    expect(await docker('docker run --env-file bad.env test/tools env')).toEqual({
      code: 125,
      stdout: '',
      stderr: "docker: poorly formatted environment: variable 'BAD KEY' contains whitespaces.\nSee 'docker run --help'.\n",
    });
    expect((await docker('docker run --env-file nope.env test/tools env')).stderr).toBe(
      "docker: open nope.env: no such file or directory.\nSee 'docker run --help'.\n",
    );
  });

  it('exits 125 for the engine’s and the flags’ errors, 126 when it cannot run, 127 when the command is missing', async () => {
    await docker('docker create --name taken test/tools');
    expect(await docker('docker run --name taken test/tools')).toMatchObject({ code: 125, stdout: '' });
    expect((await docker('docker run --name taken test/tools')).stderr).toMatch(
      /^docker: Error response from daemon: Conflict\. The container name "\/taken" is already in use by container "[0-9a-f]{64}"\. You have to remove \(or rename\) that container to be able to reuse that name\.\nSee 'docker run --help'\.\n$/,
    );
    expect(await docker('docker run --restart sometimes test/tools')).toMatchObject({ code: 125 });
    expect(await docker('docker run --bogus test/tools')).toEqual({ code: 125, stdout: '', stderr: "unknown flag: --bogus\nSee 'docker run --help'.\n" });
    expect(await docker('docker run -m lots test/tools')).toEqual({
      code: 125,
      stdout: '',
      stderr: 'invalid argument "lots" for "-m, --memory" flag: invalid size: \'lots\'\nSee \'docker run --help\'.\n',
    });
    expect(await docker('docker run --pull never nothing/here')).toEqual({
      code: 125,
      stdout: '',
      stderr: "docker: Error response from daemon: No such image: nothing/here:latest.\nSee 'docker run --help'.\n",
    });
    expect(await docker('docker run --pull sometimes test/tools')).toMatchObject({
      code: 125,
      stderr: expect.stringContaining("invalid pull option: 'sometimes'"),
    });
    expect(await docker('docker run --entrypoint missing test/tools')).toEqual({
      code: 127,
      stdout: '',
      stderr: 'docker: Error response from daemon: exec: "missing": executable file not found in $PATH.\n',
    });
    expect(await docker('docker run -u nobody test/tools')).toEqual({
      code: 126,
      stdout: '',
      stderr: 'docker: Error response from daemon: unable to find user nobody: no matching entries in passwd file.\n',
    });
    await loadToolsImage(engine, 'test/arm:latest', { os: 'linux', architecture: 'arm64' });
    const r = await docker('docker run test/arm');
    expect(r.code).toBe(126);
    expect(r.stderr).toMatch(/^docker: Error response from daemon: image platform linux\/arm64 cannot run here.*\.\n$/);
    expect(await docker('docker run')).toMatchObject({ code: 1, stderr: expect.stringMatching(/^"docker run" requires at least 1 argument\./) });
  });

  it('prints the node’s reason when a container cannot start, as Docker’s daemon error', async () => {
    const reason = 'the guest could not set up the container: mount 9p: Invalid argument';
    expect(await docker(`docker run --name broken test/tools unstartable ${reason}`)).toEqual({
      code: 125,
      stdout: '',
      stderr: `docker: Error response from daemon: failed to create task for container: ${reason}.\n`,
    });
    expect(engine.containers.inspect('broken').State).toMatchObject({ Running: false, ExitCode: 125, Error: reason });
    expect(await docker('docker start broken')).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error response from daemon: failed to create task for container: ${reason}\nError: failed to start containers: broken\n`,
    });
    expect((await docker(`docker run -d --rm test/tools unstartable ${reason}`)).stderr).toBe(
      `docker: Error response from daemon: failed to create task for container: ${reason}.\n`,
    );
    await expect(engine.containers.start('broken')).rejects.toMatchObject({ name: 'ContainerStartError', status: 500 });
  });

  it('forwards Ctrl-C to the container as SIGINT (sig-proxy), or detaches without it', async () => {
    const ac = new AbortController();
    let out = '';
    const io = { stdout: (s: string) => (out += s), stderr: (s: string) => (out += s), isTTY: false, columns: 80, files, signal: ac.signal };
    const running = runDocker(engine, 'docker run --name int test/tools spin', io);
    await until(() => engine.containers.list().length === 1);
    ac.abort();
    expect(await running).toBe(130);
    expect(cluster.signals.at(-1)).toMatchObject({ signal: 2 });
    expect(engine.containers.inspect('int').State).toMatchObject({ Running: false, ExitCode: 130 });

    const ac2 = new AbortController();
    const detached = runDocker(engine, 'docker run --sig-proxy=false --name keep test/tools spin', { ...io, signal: ac2.signal });
    await until(() => engine.containers.list().length === 1);
    ac2.abort();
    expect(await detached).toBe(130);
    expect(engine.containers.inspect('keep').State.Running).toBe(true);
  });
});

describe('docker start / stop / kill / restart / rm / wait', () => {
  it('starts, stops and kills, printing each name and reporting failures', async () => {
    await docker('docker create --name one test/tools spin');
    await docker('docker create --name two test/tools spin');
    expect(await docker('docker start one two')).toEqual({ code: 0, stdout: 'one\ntwo\n', stderr: '' });
    expect(await docker('docker start one nope')).toEqual({
      code: 1,
      stdout: 'one\n',
      stderr: 'Error response from daemon: No such container: nope\nError: failed to start containers: nope\n',
    });
    expect(await docker('docker stop -t 1 one')).toEqual({ code: 0, stdout: 'one\n', stderr: '' });
    expect(engine.containers.inspect('one').State.ExitCode).toBe(143);
    expect(await docker('docker container stop --signal SIGINT two')).toMatchObject({ code: 0, stdout: 'two\n' });
    expect(engine.containers.inspect('two').State.ExitCode).toBe(130);
    await docker('docker start one');
    expect(await docker('docker kill -s HUP one')).toEqual({ code: 0, stdout: 'one\n', stderr: '' });
    expect((await docker('docker wait one')).stdout).toBe('129\n');
    const id = engine.containers.inspect('one').Id;
    expect(await docker('docker kill one')).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error response from daemon: Cannot kill container: one: Container ${id} is not running\n`,
    });
    await docker('docker start two');
    expect(await docker('docker kill -s NOPE two')).toMatchObject({ code: 1, stderr: expect.stringContaining('Invalid signal: NOPE') });
  });

  it('start -a attaches and returns the container’s status', async () => {
    await docker('docker create --name att test/tools both');
    expect(await docker('docker start -a att')).toEqual({ code: 0, stdout: 'to stdout\n', stderr: 'to stderr\n' });
    await docker('docker create --name three test/tools exit 3');
    expect((await docker('docker container start --attach three')).code).toBe(3);
    expect(await docker('docker start -a att three')).toMatchObject({ code: 1, stderr: 'you cannot start and attach multiple containers at once\n' });
  });

  it('restarts a container', async () => {
    await docker('docker run -d --name rr test/tools spin');
    const before = engine.containers.inspect('rr').State.StartedAt;
    await new Promise((r) => setTimeout(r, 5));
    expect(await docker('docker restart -t 0 rr')).toEqual({ code: 0, stdout: 'rr\n', stderr: '' });
    expect(engine.containers.inspect('rr').State.Running).toBe(true);
    expect(engine.containers.inspect('rr').State.StartedAt).not.toBe(before);
  });

  it('removes containers: running ones only with -f, anonymous volumes with -v', async () => {
    await docker('docker run -d --name live -v /anon test/tools spin');
    const r = await docker('docker rm live');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^Error response from daemon: You cannot remove a running container [0-9a-f]{64}\. Stop the container before attempting removal or force remove\n$/,
    );
    expect((await docker('docker volume ls -q')).stdout.trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(await docker('docker rm -f -v live nope')).toEqual({ code: 1, stdout: 'live\n', stderr: 'Error response from daemon: No such container: nope\n' });
    expect((await docker('docker volume ls -q')).stdout).toBe('');
    expect((await docker('docker ps -aq')).stdout).toBe('');
  });

  it('waits for containers and prints their exit statuses', async () => {
    await docker('docker run -d --name w1 test/tools sleep 30');
    await docker('docker create --name w2 test/tools');
    expect(await docker('docker wait w1 w2 nope')).toEqual({ code: 1, stdout: '0\n0\n', stderr: 'Error response from daemon: No such container: nope\n' });
  });

  it('a container seen as exited is no longer running for rm (no window while its state is saved)', async () => {
    expect((await docker('docker run -d --name killed test/tools spin')).stderr).toBe('');
    await engine.containers.kill('killed');
    // Poll at the finest grain the store's writes allow, to land inside any such window.
    while (engine.containers.inspect('killed').State.Running) await new Promise((r) => setImmediate(r));
    expect(engine.containers.inspect('killed').State.ExitCode).toBe(137);
    expect(await docker('docker rm killed')).toEqual({ code: 0, stdout: 'killed\n', stderr: '' });
  });

  it('renames', async () => {
    await docker('docker run -d --name old test/tools spin');
    expect(await docker('docker rename old new')).toEqual({ code: 0, stdout: '', stderr: '' });
    expect((await docker('docker ps --format "{{.Names}}"')).stdout).toBe('new\n');
  });

  it('prunes stopped containers after asking', async () => {
    await docker('docker run -d --name keep test/tools spin');
    await docker('docker run --name done1 test/tools');
    await docker('docker run --name done2 test/tools');
    const ids = ['done1', 'done2'].map((n) => engine.containers.inspect(n).Id);
    expect(await docker('docker container prune')).toEqual({
      code: 0,
      stdout: 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ',
      stderr: '',
    });
    expect((await docker('docker ps -aq')).stdout.trim().split('\n')).toHaveLength(3);
    const r = await docker('docker container prune -f');
    expect(r.stdout.startsWith('Deleted Containers:\n')).toBe(true);
    expect(r.stdout.split('\n').slice(1, 3).sort()).toEqual(ids.sort());
    expect(r.stdout.endsWith('\n\nTotal reclaimed space: 0B\n')).toBe(true);
    expect((await docker('docker ps -a --format "{{.Names}}"')).stdout).toBe('keep\n');
  });
});

describe('docker exec', () => {
  beforeEach(async () => {
    await docker('docker run -d --name box -e FROM_RUN=1 test/tools spin');
  });

  it('runs a command in the container and returns its status', async () => {
    expect(await docker('docker exec box tools.wasm echo inside')).toEqual({ code: 0, stdout: 'inside\n', stderr: '' });
    expect((await docker('docker container exec box tools.wasm exit 7')).code).toBe(7);
    expect((await docker('docker exec -e EXTRA=2 box tools.wasm env')).stdout).toMatch(/FROM_RUN=1\n.*EXTRA=2\n/s);
    expect((await docker('docker exec -w /data box tools.wasm pwd')).stdout).toBe('/data\n');
    expect((await docker('docker exec -u 1000 box tools.wasm id')).stdout).toBe('1000:0\n');
    expect(await docker('docker exec -i box tools.wasm cat', 'piped\n')).toMatchObject({ code: 0, stdout: 'piped\n' });
    expect(await docker('docker exec -d box tools.wasm spin')).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('fails with docker’s statuses', async () => {
    expect(await docker('docker exec box nothere')).toEqual({
      code: 127,
      stdout: '',
      stderr: 'Error response from daemon: exec: "nothere": executable file not found in $PATH\n',
    });
    await docker('docker stop box');
    expect(await docker('docker exec box tools.wasm echo')).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error response from daemon: Container ${engine.containers.inspect('box').Id} is not running\n`,
    });
    expect(await docker('docker exec box')).toMatchObject({ code: 1, stderr: expect.stringMatching(/^"docker exec" requires at least 2 arguments\./) });
    expect(await docker('docker exec -it box tools.wasm cat')).toMatchObject({ code: 1, stderr: 'the input device is not a TTY\n' });
  });
});

describe('docker logs', () => {
  it('prints stdout and stderr apart, with --tail, --timestamps, --since and --until', async () => {
    await docker('docker run --name ll test/tools both');
    expect(await docker('docker logs ll')).toEqual({ code: 0, stdout: 'to stdout\n', stderr: 'to stderr\n' });
    await docker('docker run --name ss test/tools seq 5');
    expect((await docker('docker logs ss')).stdout).toBe('1\n2\n3\n4\n5\n');
    expect((await docker('docker logs --tail 2 ss')).stdout).toBe('4\n5\n');
    expect((await docker('docker logs -n 0 ss')).stdout).toBe('');
    expect((await docker('docker container logs --tail all ss')).stdout).toBe('1\n2\n3\n4\n5\n');
    const stamped = (await docker('docker logs -t --tail 2 ss')).stdout;
    expect(stamped).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z 4\n\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z 5\n$/);
    expect((await docker('docker logs --since 1h ss')).stdout).toBe('1\n2\n3\n4\n5\n');
    expect((await docker(`docker logs --since ${Math.floor(Date.now() / 1000) + 60} ss`)).stdout).toBe('');
    expect((await docker('docker logs --until 2000-01-01T00:00:00Z ss')).stdout).toBe('');
    expect(await docker('docker logs --since yesterday ss')).toMatchObject({
      code: 1,
      stderr: 'invalid value for "since": failed to parse value as time or duration: "yesterday"\n',
    });
    expect(await docker('docker logs nope')).toEqual({ code: 1, stdout: '', stderr: 'Error response from daemon: No such container: nope\n' });
  });

  it('follows a running container until it stops', async () => {
    await docker('docker run -d -i --name ff test/tools cat');
    let out = '';
    const following = runDocker(engine, 'docker logs -f ff', { stdout: (s) => (out += s), stderr: (s) => (out += s), isTTY: false, columns: 80, files });
    await engine.containers.writeStdin('ff', new TextEncoder().encode('first\n'));
    await until(() => out === 'first\n');
    await engine.containers.writeStdin('ff', new TextEncoder().encode('second\n'));
    await until(() => out === 'first\nsecond\n');
    await engine.containers.writeStdin('ff', null);
    expect(await following).toBe(0);
  });
});

describe('docker inspect', () => {
  it('prints containers as docker does, and finds any object kind', async () => {
    await docker('docker run -d --name ins -l a=b test/tools spin');
    const r = await docker('docker container inspect ins');
    expect(r.code).toBe(0);
    const [doc] = JSON.parse(r.stdout) as [Record<string, unknown>];
    expect(doc).toMatchObject({
      Name: '/ins',
      Path: 'tools.wasm',
      Args: ['spin'],
      State: { Status: 'running', Running: true },
      Node: expect.stringMatching(/^node-/),
    });
    expect((await docker('docker inspect -f "{{.Name}} {{.State.Status}} {{.Config.Labels.a}}" ins')).stdout).toBe('/ins running b\n');
    expect((await docker('docker inspect --type container -f "{{.Id}}" ins')).stdout).toBe(`${engine.containers.inspect('ins').Id}\n`);
    expect((await docker('docker inspect -s -f "{{.SizeRw}} {{.SizeRootFs}}" ins')).stdout).toBe('0 120\n');
    expect(await docker('docker container inspect nope')).toEqual({ code: 1, stdout: '[]\n', stderr: 'Error: No such container: nope\n' });
    expect(await docker('docker inspect --type volume ins')).toEqual({ code: 1, stdout: '[]\n', stderr: 'Error: No such volume: ins\n' });
    await docker('docker volume create vol1');
    expect((await docker('docker inspect -f "{{.Name}}" vol1 node-1')).stdout).toBe('vol1\nnode-1\n');
    expect((await docker('docker inspect -f "{{.Os}}" test/tools')).stdout).toBe('wasi\n');
  });
});

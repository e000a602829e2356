// docker volume …, docker node …, system df and system prune.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VirtualFiles } from '../../../cli/virtual-files.ts';
import type { Engine } from '../../../engine/engine.ts';
import { containerEngine, dockerCommand, streamingDocker, until } from '../../support/cli-helpers.ts';

let engine: Engine;
let files: VirtualFiles;
const docker = (line: string) => dockerCommand(engine, line, files);

beforeEach(async () => {
  ({ engine, files } = await containerEngine());
});
afterEach(async () => {
  await new Promise((r) => setTimeout(r, 60));
  engine.close();
});

describe('docker volume', () => {
  it('creates, lists, inspects and removes volumes', async () => {
    expect(await docker('docker volume create data')).toEqual({ code: 0, stdout: 'data\n', stderr: '' });
    expect(await docker('docker volume create --label env=prod logs')).toEqual({ code: 0, stdout: 'logs\n', stderr: '' });
    const anon = (await docker('docker volume create')).stdout;
    expect(anon).toMatch(/^[0-9a-f]{64}\n$/);
    expect((await docker('docker volume ls')).stdout).toBe(
      `DRIVER    VOLUME NAME\n${['data', 'logs', anon.trim()]
        .sort()
        .map((n) => `local     ${n}\n`)
        .join('')}`,
    );
    expect((await docker('docker volume ls -q -f label=env=prod')).stdout).toBe('logs\n');
    expect((await docker('docker volume ls -q -f name=ogs')).stdout).toBe('logs\n');
    expect((await docker('docker volume ls --format "{{.Name}} {{.Labels}} {{.Scope}}" -f label=env')).stdout).toBe('logs env=prod local\n');
    const [doc] = JSON.parse((await docker('docker volume inspect logs')).stdout) as [Record<string, unknown>];
    expect(doc).toMatchObject({ Name: 'logs', Driver: 'local', Labels: { env: 'prod' }, Scope: 'local', Mountpoint: expect.stringContaining('logs') });
    expect((await docker('docker volume inspect -f "{{.Name}}" data logs')).stdout).toBe('data\nlogs\n');
    expect(await docker('docker volume inspect nope')).toEqual({ code: 1, stdout: '[]\n', stderr: 'Error response from daemon: get nope: no such volume\n' });
    expect(await docker('docker volume rm data nope')).toEqual({ code: 1, stdout: 'data\n', stderr: 'Error response from daemon: get nope: no such volume\n' });
    expect(await docker('docker volume rm -f nope')).toEqual({ code: 0, stdout: 'nope\n', stderr: '' });
    expect(await docker('docker volume create -d nfs x1')).toMatchObject({ code: 1, stderr: expect.stringContaining('plugin "nfs" not found') });
    expect(await docker('docker volume create bad/name')).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('includes invalid characters for a local volume name'),
    });
  });

  it('knows which volumes are in use', async () => {
    await docker('docker volume create spare');
    await docker('docker run -d --name user -v used:/data test/tools spin');
    expect((await docker('docker volume ls -q -f dangling=true')).stdout).toBe('spare\n');
    expect((await docker('docker volume ls -q -f dangling=false')).stdout).toBe('used\n');
    const r = await docker('docker volume rm used');
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toMatch(/^Error response from daemon: remove used: volume is in use - \[[0-9a-f]{64}\]\n$/);
  });

  it('prunes unused volumes: anonymous ones, or all with -a', async () => {
    await docker('docker volume create named');
    await docker('docker run --name gone -v /anon test/tools');
    await docker('docker rm gone');
    const anon = (await docker('docker volume ls -q')).stdout.split('\n').find((n) => n.length === 64)!;
    expect(await docker('docker volume prune')).toEqual({
      code: 0,
      stdout: 'WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] ',
      stderr: '',
    });
    expect(await docker('docker volume prune -f')).toEqual({ code: 0, stdout: `Deleted Volumes:\n${anon}\n\nTotal reclaimed space: 0B\n`, stderr: '' });
    expect(await docker('docker volume prune -af')).toEqual({ code: 0, stdout: 'Deleted Volumes:\nnamed\n\nTotal reclaimed space: 0B\n', stderr: '' });
  });
});

describe('docker node', () => {
  it('lists nodes with their containers', async () => {
    await docker('docker run -d --name n1 --constraint node.name==node-2 test/tools spin');
    const r = await docker('docker node ls');
    const ids = engine.nodes.list().map((n) => n.ID);
    expect(r.stdout).toBe(
      'ID                          HOSTNAME   STATUS    AVAILABILITY   CONTAINERS\n' +
        `${ids[0]}   node-1     Ready     Active         0\n` +
        `${ids[1]}   node-2     Ready     Active         1\n`,
    );
    expect((await docker('docker node ls -q')).stdout).toBe(`${ids[0]}\n${ids[1]}\n`);
    expect((await docker('docker node ls --format "{{.Hostname}}: {{.Containers}}" -f name=node-2')).stdout).toBe('node-2: 1\n');
  });

  it('creates nodes with labels, places containers by constraint, inspects and removes them', async () => {
    expect(await docker('docker node create --label zone=eu --capacity 4 edge')).toEqual({ code: 0, stdout: 'edge\n', stderr: '' });
    await docker('docker run -d --name placed --constraint node.labels.zone==eu test/tools spin');
    expect(engine.containers.inspect('placed').Node).toBe('edge');
    expect(await docker('docker run --constraint node.labels.zone==mars test/tools')).toEqual({
      code: 125,
      stdout: '',
      stderr: 'docker: Error response from daemon: no suitable node (constraints node.labels.zone==mars).\n',
    });
    expect((await docker('docker node inspect -f "{{.Name}} {{.Labels.zone}} {{.Capacity}} {{.State}}" edge')).stdout).toBe('edge eu 4 ready\n');
    expect((await docker('docker node ls -q -f label=zone=eu')).stdout).toBe(`${engine.nodes.inspect('edge').ID}\n`);
    const pretty = (await docker('docker node inspect --pretty edge')).stdout;
    expect(pretty).toMatch(/^ID: +\w+\nHostname: +edge\n/);
    expect(pretty).toContain('Labels:\n - zone=eu\n');
    expect(pretty).toMatch(/ Containers: +1\n/);
    expect(await docker('docker node inspect nope')).toEqual({ code: 1, stdout: '[]\n', stderr: 'Error: No such node: nope\n' });
    expect(await docker('docker node rm edge')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error response from daemon: node edge has running containers; use --force to remove it\n',
    });
    expect(await docker('docker node rm -f edge')).toEqual({ code: 0, stdout: 'edge\n', stderr: '' });
    expect((await docker('docker node ls --format "{{.Hostname}}"')).stdout).toBe('node-1\nnode-2\n');
  });

  it('shows a crashed node as Down', async () => {
    await docker('docker run -d --name victim --constraint node.name==node-1 test/tools spin');
    engine.nodes.crash('node-1');
    expect((await docker('docker node ls --format "{{.Hostname}} {{.Status}}"')).stdout).toBe('node-1 Down\nnode-2 Ready\n');
  });

  it('ends the containers of a crashed node with exit 137', async () => {
    await docker('docker run -d --name victim --constraint node.name==node-1 test/tools spin');
    engine.nodes.crash('node-1');
    await until(() => !engine.containers.inspect('victim').State.Running, 300);
    expect((await docker('docker ps -a --format "{{.Names}} {{.Status}}"')).stdout).toMatch(/^victim Exited \(137\) /);
  });
});

describe('docker system df / prune', () => {
  it('shows disk usage', async () => {
    files.set('f', new Uint8Array(1000));
    await docker('docker run -d --name up test/tools spin');
    await docker('docker create --name down -v vol:/data test/tools');
    await docker('docker cp f down:/tmp/');
    expect((await docker('docker system df')).stdout).toBe(
      [
        'TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE',
        'Images          1         1         120B      0B (0%)',
        'Containers      2         1         1kB       1kB (100%)',
        'Local Volumes   1         1         0B        0B',
        'Build Cache     0         0         0B        0B',
        '',
      ].join('\n'),
    );
    expect((await docker('docker system df --format "{{.Type}}={{.TotalCount}}"')).stdout).toBe('Images=1\nContainers=2\nLocal Volumes=1\nBuild Cache=0\n');
    const v = (await docker('docker system df -v')).stdout;
    expect(v).toMatch(
      /^Images space usage:\n\nREPOSITORY +TAG +IMAGE ID +CREATED +SIZE +SHARED SIZE +UNIQUE SIZE +CONTAINERS\ntest\/tools +latest +[0-9a-f]{12} .* 120B +0B +120B +2\n\n/,
    );
    expect(v).toContain('Local Volumes space usage:\n\nVOLUME NAME   LINKS     SIZE\nvol           1         0B\n\nBuild cache usage: 0B\n');
  });

  it('prunes stopped containers, unused volumes and images', async () => {
    await docker('docker run -d --name up test/tools spin');
    await docker('docker run --name down -v /anon test/tools');
    const down = engine.containers.inspect('down');
    expect((await docker('docker system prune')).stdout).toBe(
      'WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - all dangling images\n\nAre you sure you want to continue? [y/N] ',
    );
    expect((await docker('docker system prune -a --volumes')).stdout).toContain(
      '  - all anonymous volumes not used by at least one container\n  - all images without at least one container associated to them\n',
    );
    expect((await docker('docker network create spare')).code).toBe(0);
    const r = await docker('docker system prune -f --volumes');
    expect(r).toEqual({
      code: 0,
      stdout: `Deleted Containers:\n${down.Id}\n\nDeleted Networks:\nspare\n\nDeleted Volumes:\n${down.Mounts[0]!.Name}\n\nTotal reclaimed space: 0B\n`,
      stderr: '',
    });
  });
});

describe('docker events', () => {
  it('reports container, volume and node events, filtered by object', async () => {
    const events = streamingDocker(
      engine,
      'docker events --format "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}" -f container=ev1 -f type=container',
      files,
    );
    await docker('docker run --name ev1 test/tools');
    await docker('docker run --name ev2 test/tools');
    await until(() => events.out().includes('die'));
    expect(await events.stop()).toBe(130);
    expect(events.out()).toBe('container create ev1\ncontainer start ev1\ncontainer die ev1\n');
  });
});

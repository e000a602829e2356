// docker network …, docker port, the PORTS column of docker ps, and run's network flags.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VirtualFiles } from '../../../cli/virtual-files.ts';
import type { Engine } from '../../../engine/engine.ts';
import { containerEngine, dockerCommand, streamingDocker, ttyCommand, until } from '../../support/cli-helpers.ts';

let engine: Engine;
let files: VirtualFiles;
const docker = (line: string) => dockerCommand(engine, line, files);

beforeEach(async () => {
  ({ engine, files } = await containerEngine());
});
afterEach(async () => {
  await new Promise((r) => setTimeout(r, 60));
  await engine.close();
});

const short = (name: string) => engine.networks.inspect(name).Id.slice(0, 12);

describe('docker network', () => {
  it('creates, lists, inspects and removes networks with Docker’s output', async () => {
    const created = await docker('docker network create --label env=dev front');
    expect(created).toEqual({ code: 0, stdout: `${engine.networks.inspect('front').Id}\n`, stderr: '' });
    expect((await docker('docker network create --subnet 10.1.0.0/24 --gateway 10.1.0.254 back')).code).toBe(0);
    expect((await docker('docker network ls')).stdout).toBe(
      [
        'NETWORK ID     NAME      DRIVER    SCOPE',
        `${short('back')}   back      bridge    local`,
        `${short('bridge')}   bridge    bridge    local`,
        `${short('front')}   front     bridge    local`,
        `${short('host')}   host      host      local`,
        `${short('none')}   none      null      local`,
        '',
      ].join('\n'),
    );
    expect((await docker('docker network ls -q --filter type=custom')).stdout).toBe(`${short('back')}\n${short('front')}\n`);
    expect((await docker('docker network ls --no-trunc -q -f label=env=dev')).stdout).toBe(`${engine.networks.inspect('front').Id}\n`);
    expect((await docker('docker network ls --format "{{.Name}} {{.Driver}} {{.Labels}}" -f name=ront')).stdout).toBe('front bridge env=dev\n');
    expect(await docker('docker network ls -f colour=red')).toMatchObject({ code: 1, stderr: "Error response from daemon: invalid filter 'colour'\n" });

    const [doc] = JSON.parse((await docker('docker network inspect back')).stdout) as [Record<string, unknown>];
    expect(doc).toMatchObject({
      Name: 'back',
      Driver: 'bridge',
      Scope: 'local',
      IPAM: { Driver: 'default', Config: [{ Subnet: '10.1.0.0/24', Gateway: '10.1.0.254' }] },
    });
    expect((await docker('docker network inspect -f "{{.Name}} {{.Driver}}" bridge none')).stdout).toBe('bridge bridge\nnone null\n');
    expect((await docker('docker inspect -f "{{.Name}} {{.Scope}}" back')).stdout).toBe('back local\n');
    expect((await docker('docker inspect --type network -f "{{.Driver}}" none')).stdout).toBe('null\n');
    expect(await docker('docker network inspect nope')).toEqual({ code: 1, stdout: '[]\n', stderr: 'Error response from daemon: network nope not found\n' });

    expect(await docker('docker network create --subnet 10.1.0.0/16 clash')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error response from daemon: Pool overlaps with other one on this address space\n',
    });
    expect(await docker('docker network create front')).toMatchObject({
      code: 1,
      stderr: 'Error response from daemon: network with name front already exists\n',
    });
    expect(await docker('docker network create')).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('"docker network create" requires exactly 1 argument.'),
    });

    expect(await docker('docker network rm back bridge nope')).toEqual({
      code: 1,
      stdout: 'back\n',
      stderr: 'Error response from daemon: bridge is a pre-defined network and cannot be removed\nError response from daemon: network nope not found\n',
    });
    expect(await docker('docker network rm -f nope')).toEqual({ code: 0, stdout: 'nope\n', stderr: '' });
  });

  it('prunes after Docker’s prompt, and refuses to remove a network in use', async () => {
    await docker('docker network create unused');
    await docker('docker network create busy');
    expect((await docker('docker run -d --name web --network busy test/tools spin')).code).toBe(0);
    const busy = engine.networks.inspect('busy').Id;
    expect(await docker('docker network rm busy')).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error response from daemon: error while removing network: network busy id ${busy} has active endpoints\n`,
    });
    const declined = await ttyCommand(engine, 'docker network prune', { input: ['n'] });
    expect(declined).toEqual({
      code: 0,
      stdout: 'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ',
      stderr: '',
    });
    expect(engine.networks.list({ type: ['custom'] })).toHaveLength(2);
    expect(await docker('docker network prune -f')).toEqual({ code: 0, stdout: 'Deleted Networks:\nunused\n\n', stderr: '' });
    expect(await docker('docker network prune -f')).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('connects and disconnects containers', async () => {
    await docker('docker network create one');
    expect((await docker('docker create --name box test/tools spin')).code).toBe(0);
    expect(await docker('docker network connect --alias b1 one box')).toEqual({ code: 0, stdout: '', stderr: '' });
    expect((await docker('docker inspect -f "{{json .NetworkSettings.Networks.one.Aliases}}" box')).stdout).toBe('["b1"]\n');
    expect(await docker('docker network connect one box')).toMatchObject({
      code: 1,
      stderr: 'Error response from daemon: endpoint with name box already exists in network one\n',
    });
    expect((await docker('docker create --name solo --network one test/tools spin')).code).toBe(0);
    expect(await docker('docker network connect --ip 172.17.0.9 bridge solo')).toMatchObject({
      code: 1,
      stderr: 'Error response from daemon: user specified IP address is supported on user defined networks only\n',
    });
    expect(await docker('docker network disconnect one box')).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await docker('docker network disconnect one box')).toMatchObject({ code: 1, stderr: expect.stringContaining('is not connected to network one') });
    expect(await docker('docker network connect one nobody')).toMatchObject({ code: 1, stderr: 'Error response from daemon: No such container: nobody\n' });
  });
});

describe('docker events for networks', () => {
  it('reports create, connect, disconnect and destroy, filtered by network', async () => {
    const format = '{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.container}}';
    const events = streamingDocker(engine, `docker events --format "${format}" -f network=ev`, files);
    await docker('docker network create ev');
    await docker('docker network create other');
    const id = (await docker('docker run -d --network ev test/tools echo hi')).stdout.trim();
    await until(() => events.out().includes('disconnect'));
    await docker('docker network rm ev');
    await until(() => events.out().includes('destroy'));
    expect(await events.stop()).toBe(130);
    expect(events.out()).toBe(`network create ev <no value>\nnetwork connect ev ${id}\nnetwork disconnect ev ${id}\nnetwork destroy ev <no value>\n`);
  });
});

describe('published ports in the CLI', () => {
  it('shows them in docker port and docker ps, and fails a taken port with Docker’s message', async () => {
    expect((await docker('docker run -d --name web -p 8080:80 -p 127.0.0.1:9090:90/udp --expose 443 test/tools spin')).code).toBe(0);
    expect(await docker('docker port web')).toEqual({ code: 0, stdout: '80/tcp -> 0.0.0.0:8080\n90/udp -> 127.0.0.1:9090\n', stderr: '' });
    expect(await docker('docker port web 80')).toEqual({ code: 0, stdout: '0.0.0.0:8080\n', stderr: '' });
    expect(await docker('docker port web 443')).toEqual({ code: 1, stdout: '', stderr: "Error: No public port '443/tcp' published for web\n" });
    expect((await docker('docker ps --format "{{.Ports}}|{{.Networks}}"')).stdout).toBe('443/tcp, 0.0.0.0:8080->80/tcp, 127.0.0.1:9090->90/udp|bridge\n');
    expect((await docker('docker ps --format "{{.Names}}" --filter publish=80')).stdout).toBe('web\n');
    expect((await docker('docker ps --format "{{.Names}}" --filter network=bridge')).stdout).toBe('web\n');

    const clash = await docker('docker run -d --name web2 -p 8080:80 test/tools spin');
    expect(clash.code).toBe(125);
    expect(clash.stderr).toMatch(
      /^docker: Error response from daemon: driver failed programming external connectivity on endpoint web2 \([0-9a-f]{64}\): Bind for 0\.0\.0\.0:8080 failed: port is already allocated\.\n$/,
    );
    expect((await docker('docker run -d --name rnd -p 80 test/tools spin')).code).toBe(0);
    expect((await docker('docker port rnd')).stdout).toBe('80/tcp -> 0.0.0.0:32768\n');
  });

  it('refuses bad -p specs and --network host with exit 125', async () => {
    expect(await docker('docker run -p 80:http test/tools echo')).toEqual({
      code: 125,
      stdout: '',
      stderr: "docker: invalid containerPort: http.\nSee 'docker run --help'.\n",
    });
    const host = await docker('docker run --network host test/tools echo');
    expect(host.code).toBe(125);
    expect(host.stderr).toContain('the host network does not exist in a browser');
    expect((await docker('docker run --net none --name quiet test/tools echo hi')).stdout).toBe('hi\n');
    expect((await docker('docker inspect -f "{{.HostConfig.NetworkMode}}" quiet')).stdout).toBe('none\n');
  });

  it('documents the flags in help', async () => {
    const help = (await docker('docker run --help')).stdout;
    for (const line of [
      /\n {2}-p, --publish list +Publish a container's port\(s\) to the host\n/,
      /\n {2}-P, --publish-all +Publish all exposed ports to random ports\n/,
      /\n {6}--network network +Connect a container to a network\n/,
      /\n {6}--network-alias list +Add network-scoped alias for the container\n/,
      /\n {6}--expose list +Expose a port or a range of ports\n/,
    ]) {
      expect(help).toMatch(line);
    }
    expect((await docker('docker network --help')).stdout).toContain('  prune       Remove all unused networks\n');
  });
});

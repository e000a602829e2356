// docker service …, docker node update / node ps: Docker's output shapes over fake nodes.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VirtualFiles } from '../../../cli/virtual-files.ts';
import type { Engine } from '../../../engine/engine.ts';
import { containerEngine, dockerCommand, until } from '../../support/cli-helpers.ts';

let engine: Engine;
let files: VirtualFiles;
const docker = (line: string) => dockerCommand(engine, line, files);

beforeEach(async () => {
  ({ engine, files } = await containerEngine());
});
afterEach(async () => {
  await engine.close();
});

const running = (svc: string) => engine.services.tasks(svc).filter((t) => t.container.State.Running).length;

describe('docker service', () => {
  it('creates a service, waits for it to converge, and lists it', async () => {
    const r = await docker('docker service create --name web --replicas 3 test/tools spin');
    expect(r.code).toBe(0);
    const id = engine.services.inspect('web').ID;
    expect(r.stdout).toBe(
      `${id}\noverall progress: 3 out of 3 tasks\n` +
        [1, 2, 3].map((i) => `${i}/3: running   [==================================================>]\n`).join('') +
        'verify: Service web converged\n',
    );
    expect((await docker('docker service ls')).stdout).toBe(
      'ID             NAME      MODE         REPLICAS   IMAGE        PORTS\n' + `${id.slice(0, 12)}   web       replicated   3/3        test/tools   \n`,
    );
    expect((await docker('docker service ls -q')).stdout).toBe(`${id.slice(0, 12)}\n`);
    expect((await docker('docker service ls --format "{{.Name}} {{.Mode}} {{.Replicas}}"')).stdout).toBe('web replicated 3/3\n');
    // Its tasks are containers `docker ps` shows, with Swarm's names.
    expect((await docker('docker ps --format "{{.Names}}"')).stdout).toMatch(/^web\.[123]\.[0-9a-f]{25}\n/);
  });

  it('lists tasks with their history under them, as `\\_` rows', async () => {
    await docker('docker service create -d --name job --restart-condition on-failure --restart-delay 10ms --restart-max-attempts 1 test/tools exit 2');
    await until(() => engine.services.tasks('job').length === 2 && !engine.services.tasks('job')[1]!.container.State.Running);
    await new Promise((r) => setTimeout(r, 30));
    const [newer, older] = engine.services.tasks('job').reverse();
    const out = (await docker('docker service ps job')).stdout.split('\n');
    expect(out[0]).toMatch(/^ID +NAME +IMAGE +NODE +DESIRED STATE +CURRENT STATE +ERROR +PORTS$/);
    expect(out[1]).toMatch(new RegExp(`^${newer!.id.slice(0, 12)} +job\\.1 +test/tools +node-\\d +Shutdown +Failed .* ago +"task: non-zero exit \\(2\\)"`));
    expect(out[2]).toMatch(new RegExp(`^${older!.id.slice(0, 12)} +\\\\_ job\\.1 +test/tools +node-\\d +Shutdown +Failed`));
    expect((await docker('docker service ps -q job')).stdout).toBe(`${newer!.id.slice(0, 12)}\n${older!.id.slice(0, 12)}\n`);
    expect((await docker('docker service ps --filter desired-state=running -q job')).stdout).toBe('');
  });

  it('prefixes each task’s log lines with name.slot.id@node', async () => {
    await docker('docker service create -d --name hi --restart-condition none test/tools echo hello');
    await until(() => engine.services.tasks('hi')[0]?.container.State.Status === 'exited');
    const t = engine.services.tasks('hi')[0]!;
    expect((await docker('docker service logs hi')).stdout).toBe(`hi.1.${t.id.slice(0, 12)}@${t.container.Node}    | hello\n`);
  });

  it('scales, updates, rolls back and removes', async () => {
    await docker('docker service create -d --name web --update-monitor 20ms --restart-delay 10ms test/tools spin');
    expect(await docker('docker service scale web=3 -d')).toEqual({ code: 0, stdout: 'web scaled to 3\n', stderr: '' });
    await until(() => running('web') === 3);
    const r = await docker('docker service update --env-add MODE=new --update-parallelism 2 web');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^web\noverall progress: 3 out of 3 tasks\n/);
    expect(
      engine.services
        .tasks('web')
        .filter((t) => t.container.State.Running)
        .every((t) => t.container.Config.Env.includes('MODE=new')),
    ).toBe(true);
    expect((await docker('docker service rollback web')).stdout).toMatch(
      /^web\nrollback: manually requested rollback\noverall progress: rolling back update: 3 out of 3 tasks\n/,
    );
    expect(engine.services.inspect('web').Spec.TaskTemplate.ContainerSpec.Env).toBeUndefined();
    const failing = await docker('docker service update --args "exit 1" --update-failure-action rollback web');
    expect(failing.code).toBe(1);
    expect(failing.stderr).toBe('Error: service rolled back: update rolled back due to failure or early termination of task\n');
    expect((await docker('docker service inspect --pretty web')).stdout).toMatch(/^ID: +\w{25}\nName: +web\nService Mode: +Replicated\n Replicas: +3\n/);
    expect(JSON.parse((await docker('docker service inspect web')).stdout)[0]).toMatchObject({ Spec: { Name: 'web', Mode: { Replicated: { Replicas: 3 } } } });
    expect(await docker('docker service rm web')).toEqual({ code: 0, stdout: 'web\n', stderr: '' });
    expect(engine.containers.list({ all: true })).toEqual([]);
  });

  it('refuses what it does not know, as docker does', async () => {
    for (const cmd of ['ps x', 'rm x', 'update --image y x', 'logs x', 'scale x=2', 'rollback x']) {
      expect(await docker(`docker service ${cmd}`)).toEqual({ code: 1, stdout: cmd === 'rm x' ? '' : '', stderr: 'Error: No such service: x\n' });
    }
    expect(await docker('docker service inspect x')).toEqual({ code: 1, stdout: '[]\n', stderr: 'Error: No such service: x\n' });
    expect(await docker('docker service create -p 80:80/udp test/tools')).toMatchObject({ code: 125 });
    expect(await docker('docker service create -p published=80 test/tools')).toMatchObject({ code: 125 });
    expect((await docker('docker service create --endpoint-mode dnsrr -p 80:80 test/tools')).stderr).toBe(
      "Error response from daemon: rpc error: code = InvalidArgument desc = EndpointSpec: port published with ingress mode can't be used with dnsrr mode\n",
    );
    expect(await docker('docker service create --mode nope test/tools')).toMatchObject({ code: 125 });
    expect((await docker('docker service create --mode global --replicas 2 test/tools')).stderr).toBe(
      'Error response from daemon: replicas can only be used with replicated mode\n',
    );
    expect((await docker('docker service scale web')).stderr).toBe("Error: invalid scale specifier 'web'.\nSee 'docker service scale --help'.\n");
  });
});

describe('service endpoints', () => {
  it('gives a service a virtual IP on its network and publishes its ports through the routing mesh', async () => {
    expect((await docker('docker network create --subnet 10.0.1.0/24 app')).code).toBe(0);
    const r = await docker('docker service create -d --name web --replicas 2 --network app -p 8080:80 --publish published=8081,target=81 test/tools spin');
    expect(r.code, r.stderr).toBe(0);
    const net = engine.networks.inspect('app').Id;
    const svc = JSON.parse((await docker('docker service inspect web')).stdout)[0];
    expect(svc.Endpoint).toEqual({
      Spec: {
        Mode: 'vip',
        Ports: [expect.objectContaining({ PublishedPort: 8080, TargetPort: 80 }), expect.objectContaining({ PublishedPort: 8081, TargetPort: 81 })],
      },
      Ports: [
        { Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' },
        { Protocol: 'tcp', TargetPort: 81, PublishedPort: 8081, PublishMode: 'ingress' },
      ],
      VirtualIPs: [{ NetworkID: net, Addr: '10.0.1.2/24' }],
    });
    expect((await docker('docker service ls --format "{{.Name}} {{.Ports}}"')).stdout).toBe('web *:8080->80/tcp, *:8081->81/tcp\n');
    expect((await docker('docker service inspect --pretty web')).stdout).toContain(
      'Ports:\n PublishedPort = 8080\n  Protocol = tcp\n  TargetPort = 80\n  PublishMode = ingress\n',
    );
    expect(engine.ports.resolve(8080)).toEqual({
      containerId: svc.ID,
      containerPort: 80,
      protocol: 'tcp',
      service: { name: 'web', networkId: net, address: '10.0.1.2' },
    });

    // The replicas take the next addresses; the DNS answers the name with the VIP, tasks.web with each replica.
    await until(() => running('web') === 2);
    const ips = engine.services
      .tasks('web')
      .map((t) => t.container.NetworkSettings.Networks.app!.IPAddress)
      .sort();
    expect(ips).toEqual(['10.0.1.3', '10.0.1.4']);
    const records = () => engine.networks.records(net).filter((x) => x.name === 'web' || x.name === 'tasks.web');
    await until(() => records().length === 3);
    expect(records().sort((a, b) => (a.name + a.address).localeCompare(b.name + b.address))).toEqual([
      { name: 'tasks.web', address: '10.0.1.3' },
      { name: 'tasks.web', address: '10.0.1.4' },
      { name: 'web', address: '10.0.1.2' },
    ]);

    // Ports change without replacing a task; a taken one changes nothing; a rollback restores them.
    const taskIds = () => engine.services.tasks('web').map((t) => t.id);
    const before = taskIds();
    expect((await docker('docker service update -d --publish-add 9090:90 --publish-rm 81 web')).code).toBe(0);
    expect((await docker('docker service ls --format "{{.Ports}}"')).stdout).toBe('*:8080->80/tcp, *:9090->90/tcp\n');
    expect(engine.ports.resolve(9090)).toMatchObject({ containerId: svc.ID, containerPort: 90 });
    expect(() => engine.ports.resolve(8081)).toThrow(/no container publishes port 8081/);
    expect(taskIds()).toEqual(before);
    expect((await docker('docker run -d --name holder -p 7070:1 test/tools spin')).code).toBe(0);
    expect((await docker('docker service update -d --publish-add 7070:70 web')).stderr).toMatch(/port '7070' is already in use by container /);
    expect(engine.ports.resolve(9090)).toMatchObject({ containerId: svc.ID });
    expect((await docker('docker rm -f holder')).code).toBe(0);
    expect((await docker('docker service update -d --publish-rm nope web')).code).toBe(125);
    expect((await docker('docker service rollback -d web')).code).toBe(0);
    expect((await docker('docker service ls --format "{{.Ports}}"')).stdout).toBe('*:8080->80/tcp, *:8081->81/tcp\n');
    expect(engine.ports.resolve(8081)).toMatchObject({ containerId: svc.ID, containerPort: 81 });
    expect(() => engine.ports.resolve(9090)).toThrow(/no container publishes port 9090/);

    // A taken port fails the next service, which then holds nothing.
    expect((await docker('docker service create -d --name other -p 8080:90 test/tools spin')).stderr).toBe(
      `Error response from daemon: rpc error: code = InvalidArgument desc = port '8080' is already in use by service 'web' (${svc.ID}) as an ingress port\n`,
    );
    expect(engine.services.list().map((s) => s.Spec.Name)).toEqual(['web']);

    expect((await docker('docker service rm web')).code).toBe(0);
    expect(() => engine.ports.resolve(8080)).toThrow(/no container publishes port 8080/);
    expect(engine.networks.records(net).filter((x) => x.name === 'web')).toEqual([]);
    // The VIP is free again.
    const again = await docker('docker service create -d --name web2 --network app test/tools spin');
    expect(again.code, again.stderr).toBe(0);
    expect(engine.services.inspect('web2').Endpoint?.VirtualIPs).toEqual([{ NetworkID: net, Addr: '10.0.1.2/24' }]);
  });

  it('answers the replicas themselves with --endpoint-mode dnsrr, and never an unhealthy one', async () => {
    expect((await docker('docker network create --subnet 10.0.2.0/24 app2')).code).toBe(0);
    const r = await docker('docker service create -d --name rr --replicas 2 --network app2 --endpoint-mode dnsrr test/tools spin');
    expect(r.code, r.stderr).toBe(0);
    expect(engine.services.inspect('rr').Endpoint).toEqual({ Spec: { Mode: 'dnsrr' } });
    const net = engine.networks.inspect('app2').Id;
    const named = (name: string) =>
      engine.networks
        .records(net)
        .filter((x) => x.name === name)
        .map((x) => x.address)
        .sort();
    await until(() => named('rr').length === 2);
    expect(named('rr')).toEqual(['10.0.2.2', '10.0.2.3']);

    // test/tools has no /bin/sh, so this CMD-SHELL check fails: the replica turns unhealthy, is
    // never named, and Swarm fails it (its replacement waits for the 5 s restart delay).
    await docker(
      'docker service create -d --name sick --network app2 --endpoint-mode dnsrr --health-cmd true --health-interval 20ms --health-retries 1 test/tools spin',
    );
    const task = () => engine.services.tasks('sick')[0]?.container;
    await until(() => task()?.State.Status === 'exited');
    expect(task()!.State).toMatchObject({ ExitCode: 137, Error: 'task: non-zero exit (137): dockerexec: unhealthy container' });
    expect(engine.services.inspect('sick').Spec.TaskTemplate.ContainerSpec.Healthcheck).toMatchObject({
      Test: ['CMD-SHELL', 'true'],
      Interval: 20e6,
      Retries: 1,
    });
    expect(named('sick')).toEqual([]);
    expect(named('tasks.sick')).toEqual([]);
    expect(named('rr')).toEqual(['10.0.2.2', '10.0.2.3']);
  });
});

describe('docker node update and node ps', () => {
  it('drains a node: its tasks move off, and ls shows the availability', async () => {
    await docker('docker service create --name web --replicas 2 --stop-grace-period 1s test/tools spin');
    expect(await docker('docker node update --availability drain --label-add zone=a node-1')).toEqual({ code: 0, stdout: 'node-1\n', stderr: '' });
    await until(() => engine.services.tasks('web').filter((t) => t.container.State.Running && t.container.Node === 'node-2').length === 2);
    expect((await docker('docker node ls --format "{{.Hostname}} {{.Availability}}"')).stdout).toBe('node-1 Drain\nnode-2 Active\n');
    expect(engine.nodes.inspect('node-1').Labels).toEqual({ zone: 'a' });
    const onNode1 = (await docker('docker node ps node-1')).stdout.split('\n').filter(Boolean);
    expect(onNode1.slice(1).every((l) => / node-1 +Shutdown +Shutdown /.test(l))).toBe(true);
    expect((await docker('docker node ps -q node-2')).stdout.split('\n').filter(Boolean)).toHaveLength(2);
    expect(await docker('docker node update --availability nope node-1')).toMatchObject({ code: 125 });
    expect(await docker('docker node update --label-rm zone node-9')).toEqual({ code: 1, stdout: '', stderr: 'Error: No such node: node-9\n' });
  });

  it('places tasks only where their memory reservation fits, and the rest wait with Swarm’s error', async () => {
    expect((await docker('docker node inspect --pretty node-1')).stdout).toMatch(/\n Memory: +2GiB\n/);
    await docker('docker service create -d --name big --replicas 3 --reserve-memory 1.5g --limit-memory 1.75g test/tools spin');
    await until(() => running('big') === 2);
    await until(() => engine.services.lastError('big') !== undefined);
    expect(engine.services.lastError('big')).toBe('no suitable node (insufficient resources on 2 nodes)');
    expect(new Set(engine.services.tasks('big').map((t) => t.container.Node))).toEqual(new Set(['node-1', 'node-2']));
    expect((await docker('docker service ls --format "{{.Replicas}}"')).stdout).toBe('2/3\n');
    expect((await docker('docker service inspect --pretty big')).stdout).toMatch(
      /Resources:\n Reservations:\n  Memory: +1\.5GiB\n Limits:\n  Memory: +1\.75GiB\n/,
    );
    // 0.5 GiB is left on each node: a small reservation still fits, one per node's leftover.
    await docker('docker service create -d --name small --replicas 2 --reserve-memory 512m test/tools spin');
    await until(() => running('small') === 2);
    expect(new Set(engine.services.tasks('small').map((t) => t.container.Node))).toEqual(new Set(['node-1', 'node-2']));
    // A node with room joins: the waiting task goes there.
    expect((await docker('docker node create --memory 4g roomy')).code).toBe(0);
    await until(() => running('big') === 3);
    expect(engine.services.tasks('big').filter((t) => t.container.Node === 'roomy')).toHaveLength(1);
    await until(() => engine.services.lastError('big') === undefined);
    expect((await docker('docker node create --memory lots n3')).code).toBe(125);
  });
});

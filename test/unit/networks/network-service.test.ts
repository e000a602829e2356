// engine.networks and containers on networks, over fake-indexeddb with fake nodes and a fake
// fabric: Docker's records, IPAM at start, DNS records, published ports, and the fabric seam.
import { openDB } from 'idb';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProcessSpec } from '../../../core/protocol.ts';
import type { Engine } from '../../../engine/engine.ts';
import type { EngineEvent } from '../../../engine/events.ts';
import { HostNetworkError, NetworkForbiddenError, PoolOverlapError, PortAllocatedError } from '../../../engine/networks/network-errors.ts';
import { networkEngine, until } from './engine-setup.ts';
import type { FakeFabric } from './fake-fabric.ts';

let engine: Engine;
let fabric: FakeFabric;
let spawned: readonly ProcessSpec[];
const events: EngineEvent[] = [];

async function setUp(withFabric = true): Promise<void> {
  let cluster;
  ({ engine, fabric, cluster } = await networkEngine(withFabric));
  spawned = cluster.spawned;
  events.length = 0;
  engine.onEvent((e) => events.push(e));
}

afterEach(async () => {
  fabric.close();
  await new Promise((r) => setTimeout(r, 30));
  await engine.close();
});

/** A running `spin` container (it runs until killed) and the spec its node got. */
async function spin(name: string, more: Record<string, unknown> = {}): Promise<{ id: string; spec: () => ProcessSpec }> {
  const { Id } = await engine.containers.create({ image: 'test/tools', name, cmd: ['spin'], ...more });
  await engine.containers.start(Id);
  return { id: Id, spec: () => specOf(Id) };
}

function specOf(id: string): ProcessSpec {
  const s = spawned.findLast((p) => p.processId === id);
  if (!s) throw new Error(`no spec for ${id}`);
  return s;
}

describe('engine.networks', () => {
  it('has bridge, host and none, and creates, lists, filters, inspects and removes networks as Docker', async () => {
    await setUp();
    expect(engine.networks.list().map((n) => [n.Name, n.Driver])).toEqual([
      ['bridge', 'bridge'],
      ['host', 'host'],
      ['none', 'null'],
    ]);
    const bridge = engine.networks.inspect('bridge');
    expect(bridge.IPAM.Config).toEqual([{ Subnet: '172.17.0.0/16', Gateway: '172.17.0.1' }]);
    expect(bridge.Options).toMatchObject({ 'com.docker.network.bridge.default_bridge': 'true', 'com.docker.network.bridge.name': 'docker0' });
    expect(fabric.networks.get(bridge.Id)).toEqual({ subnet: '172.17.0.0/16', gateway: '172.17.0.1', internal: false });

    const { Id } = await engine.networks.create({ name: 'front', labels: { tier: 'web' } });
    expect(Id).toMatch(/^[0-9a-f]{64}$/);
    expect(engine.networks.inspect(Id.slice(0, 5))).toMatchObject({
      Name: 'front',
      Id,
      Scope: 'local',
      Driver: 'bridge',
      EnableIPv6: false,
      IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet: '172.18.0.0/16', Gateway: '172.18.0.1' }] },
      Internal: false,
      Attachable: false,
      Ingress: false,
      Containers: {},
      Options: {},
      Labels: { tier: 'web' },
    });
    await engine.networks.create({ name: 'back', subnet: '10.5.0.0/24', gateway: '10.5.0.254' });
    expect(fabric.networks.get(engine.networks.inspect('back').Id)).toEqual({ subnet: '10.5.0.0/24', gateway: '10.5.0.254', internal: false });
    await expect(engine.networks.create({ name: 'front' })).rejects.toThrow('network with name front already exists');
    await expect(engine.networks.create({ name: 'clash', subnet: '10.5.0.128/25' })).rejects.toThrow(PoolOverlapError);
    await expect(engine.networks.create({ name: 'h', driver: 'host' })).rejects.toThrow('only one instance of "host" network is allowed');

    const names = (f: Record<string, string[]>) => engine.networks.list(f).map((n) => n.Name);
    expect(names({ type: ['custom'] })).toEqual(['back', 'front']);
    expect(names({ type: ['builtin'] })).toEqual(['bridge', 'host', 'none']);
    expect(names({ name: ['ro'] })).toEqual(['front']);
    expect(names({ driver: ['null', 'host'] })).toEqual(['host', 'none']);
    expect(names({ label: ['tier=web'] })).toEqual(['front']);
    expect(names({ dangling: ['true'] })).toEqual(['back', 'front']);
    expect(names({ id: [Id.slice(0, 8)] })).toEqual(['front']);
    expect(() => engine.networks.list({ colour: ['red'] })).toThrow("invalid filter 'colour'");

    await expect(engine.networks.remove('bridge')).rejects.toThrow(new NetworkForbiddenError('bridge is a pre-defined network and cannot be removed'));
    expect(() => engine.networks.inspect('nope')).toThrow('network nope not found');
    await engine.networks.remove('back');
    expect((await engine.networks.prune()).NetworksDeleted).toEqual(['front']);
    expect(engine.networks.list().map((n) => n.Name)).toEqual(['bridge', 'host', 'none']);
    expect(fabric.networks.size).toBe(1);
    expect(events.map((e) => [e.Type, e.Action, e.Actor.Attributes.name])).toEqual([
      ['network', 'create', 'front'],
      ['network', 'create', 'back'],
      ['network', 'destroy', 'back'],
      ['network', 'destroy', 'front'],
    ]);
    expect(events[0]).toMatchObject({ Actor: { ID: Id, Attributes: { name: 'front', type: 'bridge' } }, scope: 'local' });
  });
});

describe('containers on networks', () => {
  it('get an address, a MAC, DNS names, published ports and NICs at start, and free them at exit', async () => {
    await setUp();
    const front = await engine.networks.create({ name: 'front' });
    const web = await spin('web', { network: 'front', networkAliases: ['www'], publish: ['8080:80'] });
    const rec = engine.containers.inspect('web');
    expect(rec.HostConfig).toMatchObject({ NetworkMode: 'front', PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] }, PublishAllPorts: false });
    expect(rec.Config.ExposedPorts).toEqual({ '80/tcp': {} });
    expect(rec.NetworkSettings).toMatchObject({
      Ports: { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }] },
      IPAddress: '',
      Gateway: '',
      Networks: {
        front: {
          IPAMConfig: null,
          Links: null,
          Aliases: ['www'],
          NetworkID: front.Id,
          EndpointID: expect.stringMatching(/^[0-9a-f]{64}$/),
          Gateway: '172.18.0.1',
          IPAddress: '172.18.0.2',
          IPPrefixLen: 16,
          MacAddress: '02:42:ac:12:00:02',
          DNSNames: ['web', web.id.slice(0, 12), 'www'],
        },
      },
    });
    expect(engine.networks.inspect('front').Containers).toEqual({
      [web.id]: {
        Name: 'web',
        EndpointID: rec.NetworkSettings.Networks.front!.EndpointID,
        MacAddress: '02:42:ac:12:00:02',
        IPv4Address: '172.18.0.2/16',
        IPv6Address: '',
        Aliases: ['www'],
      },
    });
    const records = [
      { name: 'web', address: '172.18.0.2' },
      { name: web.id.slice(0, 12), address: '172.18.0.2' },
      { name: 'www', address: '172.18.0.2' },
    ];
    expect(engine.networks.records(front.Id)).toEqual(records);
    expect(fabric.dns.get(front.Id)).toEqual(records);
    expect(engine.ports.resolve(8080)).toEqual({ containerId: web.id, containerPort: 80, protocol: 'tcp' });
    await engine.containers.rename('web', 'site');
    expect(engine.networks.records(front.Id).map((r) => r.name)).toEqual(['site', web.id.slice(0, 12), 'www']);
    expect(engine.containers.inspect('site').NetworkSettings.Networks.front!.DNSNames).toEqual(['site', web.id.slice(0, 12), 'www']);
    await engine.containers.rename('site', 'web');

    const net = web.spec().network!;
    expect(net.interfaces.map(({ port, ...i }) => [i, port instanceof MessagePort])).toEqual([
      [{ name: 'eth0', mac: '02:42:ac:12:00:02', address: '172.18.0.2/16', gateway: '172.18.0.1' }, true],
    ]);
    expect(fabric.nics.get('02:42:ac:12:00:02')).toMatchObject({ networkId: front.Id, address: '172.18.0.2/16' });
    expect(net.hosts).toBe(
      `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n172.18.0.2\t${web.id.slice(0, 12)}\n`,
    );
    expect(net.resolvConf).toContain('nameserver 172.18.0.1\n');
    expect(net.listenPorts).toEqual([80]);

    // The same host port again: the start fails with Docker's message and leaves nothing behind.
    const other = await engine.containers.create({ image: 'test/tools', name: 'other', cmd: ['spin'], publish: ['8080:80'] });
    await expect(engine.containers.start(other.Id)).rejects.toThrow(PortAllocatedError);
    await expect(engine.containers.start(other.Id)).rejects.toThrow(
      /^driver failed programming external connectivity on endpoint other \([0-9a-f]{64}\): Bind for 0.0.0.0:8080 failed: port is already allocated$/,
    );
    expect(engine.networks.inspect('bridge').Containers).toEqual({});

    await expect(engine.networks.remove('front')).rejects.toThrow(`error while removing network: network front id ${front.Id} has active endpoints`);
    await engine.containers.stop('web', { timeout: 1 });
    expect(engine.networks.inspect('front').Containers).toEqual({});
    expect(engine.ports.list()).toEqual([]);
    // The fabric hears of it after the books are freed.
    await until(() => fabric.nics.size === 0 && fabric.dns.get(front.Id)?.length === 0);
    const stopped = engine.containers.inspect('web').NetworkSettings;
    expect(stopped.Ports).toEqual({});
    expect(stopped.Networks.front).toMatchObject({ NetworkID: front.Id, Aliases: ['www'], IPAddress: '', MacAddress: '', EndpointID: '' });
    // Freed: the other container now starts, on the default bridge, with the legacy top-level fields.
    await engine.containers.start(other.Id);
    expect(engine.containers.inspect('other').NetworkSettings).toMatchObject({
      IPAddress: '172.17.0.2',
      Gateway: '172.17.0.1',
      MacAddress: '02:42:ac:11:00:02',
      IPPrefixLen: 16,
      Networks: { bridge: { IPAddress: '172.17.0.2', DNSNames: null } },
    });
    expect(engine.networks.records(engine.networks.inspect('bridge').Id)).toEqual([]);
    expect(engine.containers.list().map((c) => c.Ports)).toEqual([[{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }]]);
    const actions = events.filter((e) => e.Type === 'network').map((e) => `${e.Action} ${e.Actor.Attributes.name}`);
    expect(actions).toEqual([
      'create front',
      'connect front',
      'connect bridge',
      'disconnect bridge',
      'connect bridge',
      'disconnect bridge',
      'disconnect front',
      'connect bridge',
    ]);
  });

  it('honours --ip, -P with EXPOSE and --expose, none, container:NAME, and refuses host', async () => {
    await setUp();
    await engine.networks.create({ name: 'lab', subnet: '10.9.0.0/24' });
    const a = await spin('alpha', { network: 'lab', ip: '10.9.0.50', expose: ['7000-7001'], publishAll: true });
    expect(engine.containers.inspect('alpha').NetworkSettings.Networks.lab).toMatchObject({ IPAMConfig: { IPv4Address: '10.9.0.50' }, IPAddress: '10.9.0.50' });
    expect(engine.containers.inspect('alpha').NetworkSettings.Ports).toEqual({
      '7000/tcp': [{ HostIp: '0.0.0.0', HostPort: '32768' }],
      '7001/tcp': [{ HostIp: '0.0.0.0', HostPort: '32769' }],
    });
    expect(a.spec().network!.listenPorts).toEqual([7000, 7001]);
    const b = await engine.containers.create({ image: 'test/tools', name: 'beta', cmd: ['spin'], network: 'lab', ip: '10.9.0.50' });
    await expect(engine.containers.start(b.Id)).rejects.toThrow('Address already in use');

    const none = await spin('nada', { network: 'none' });
    expect(none.spec().network).toEqual({
      interfaces: [],
      hosts: expect.not.stringMatching(/\n\d+\.\d+\.\d+\.\d+\t[0-9a-f]{12}\n/),
      resolvConf: expect.not.stringContaining('nameserver'),
      listenPorts: [],
    });
    expect(engine.containers.inspect('nada').NetworkSettings.Networks.none).toBeDefined();

    const shared = await spin('shared', { network: 'container:alpha' });
    expect(shared.spec().network).toEqual({ interfaces: [], hosts: a.spec().network!.hosts, resolvConf: a.spec().network!.resolvConf, listenPorts: [] });
    const late = await engine.containers.create({ image: 'test/tools', name: 'late', cmd: ['spin'], network: 'container:beta' });
    await expect(engine.containers.start(late.Id)).rejects.toThrow(`cannot join network of a non running container: ${b.Id}`);

    await expect(engine.containers.create({ image: 'test/tools', cmd: ['spin'], network: 'host' })).rejects.toThrow(HostNetworkError);
    await expect(engine.containers.create({ image: 'test/tools', cmd: ['spin'], network: 'nope' })).rejects.toThrow('network nope not found');
    await expect(engine.containers.create({ image: 'test/tools', cmd: ['spin'], networkAliases: ['x'] })).rejects.toThrow(
      'network-scoped alias is supported only for containers in user defined networks',
    );
    await expect(engine.containers.create({ image: 'test/tools', cmd: ['spin'], network: 'container:alpha', publish: ['80'] })).rejects.toThrow(
      'conflicting options: port publishing and the container type network mode',
    );
  });

  it('connects and disconnects containers, running or not', async () => {
    await setUp();
    await engine.networks.create({ name: 'one' });
    await engine.networks.create({ name: 'two' });
    const { Id } = await engine.containers.create({ image: 'test/tools', name: 'cee', cmd: ['spin'], network: 'one' });
    await engine.networks.connect('two', 'cee', { aliases: ['cc'] });
    await expect(engine.networks.connect('two', 'cee')).rejects.toThrow('endpoint with name cee already exists in network two');
    await engine.containers.start(Id);
    const net = specOf(Id).network!;
    expect(net.interfaces.map((i) => [i.name, i.address])).toEqual([
      ['eth0', '172.18.0.2/16'],
      ['eth1', '172.19.0.2/16'],
    ]);
    expect(net.hosts).toContain(`172.18.0.2\t${Id.slice(0, 12)}\n172.19.0.2\t${Id.slice(0, 12)}\n`);
    expect(engine.networks.records(engine.networks.inspect('two').Id).map((r) => r.name)).toEqual(['cee', Id.slice(0, 12), 'cc']);

    await engine.networks.disconnect('two', 'cee');
    expect(engine.networks.inspect('two').Containers).toEqual({});
    expect(Object.keys(engine.containers.inspect('cee').NetworkSettings.Networks)).toEqual(['one']);
    await expect(engine.networks.disconnect('two', 'cee')).rejects.toThrow(`container ${Id} is not connected to network two`);
    // Connected while running: the address is taken at once.
    await engine.networks.connect('bridge', 'cee');
    expect(engine.containers.inspect('cee').NetworkSettings.Networks.bridge).toMatchObject({ IPAddress: '172.17.0.2' });
    await expect(engine.networks.connect('host', 'cee')).rejects.toThrow('container cannot be disconnected from host network or connected to host network');
    await engine.containers.kill('cee');
    await until(() => !engine.containers.inspect('cee').State.Running);
    await until(() => Object.keys(engine.networks.inspect('bridge').Containers).length === 0);
    expect(engine.networks.inspect('one').Containers).toEqual({});
  });

  it('takes nothing when the fabric fails to plug a NIC in: addresses and ports are free again', async () => {
    await setUp();
    fabric.attach = () => {
      throw new Error('switch full');
    };
    const c = await engine.containers.create({ image: 'test/tools', name: 'unplugged', cmd: ['spin'], publish: ['8080:80'] });
    await expect(engine.containers.start(c.Id)).rejects.toThrow('switch full');
    expect(engine.networks.inspect('bridge').Containers).toEqual({});
    expect(engine.ports.list()).toEqual([]);
    expect(engine.containers.inspect('unplugged').State.Running).toBe(false);
  });

  it('without a fabric gives containers their hosts and resolv.conf but no interfaces', async () => {
    await setUp(false);
    const c = await spin('plain');
    expect(c.spec().network).toMatchObject({ interfaces: [], resolvConf: expect.stringContaining('nameserver 172.17.0.1'), listenPorts: [] });
    expect(c.spec().network!.hosts).toContain(`172.17.0.2\t${c.id.slice(0, 12)}\n`);
  });
});

describe('the database upgrade to version 4', () => {
  it('keeps every store and record, and gives old container records Docker’s network defaults', async () => {
    await setUp();
    const { Id } = await engine.containers.create({ image: 'test/tools', name: 'old', cmd: ['spin'] });
    await engine.volumes.create({ name: 'keep' });
    const { NetworkSettings: _s, ...rec } = engine.containers.inspect(Id);
    const { NetworkMode: _m, PortBindings: _p, PublishAllPorts: _a, ...hostConfig } = rec.HostConfig;
    const { ExposedPorts: _e, ...config } = rec.Config;
    const old = { ...rec, HostConfig: hostConfig, Config: config };
    const volume = await engine.volumes.inspect('keep');

    const name = `upgrade-${process.pid}`;
    const v3 = await openDB(name, 3, {
      upgrade(db) {
        for (const s of ['blobs', 'ingests']) db.createObjectStore(s, { keyPath: 'digest' });
        db.createObjectStore('blobChunks');
        db.createObjectStore('files', { keyPath: 'sha' }).createIndex('pack', 'pack');
        db.createObjectStore('fileData');
        db.createObjectStore('snapshots', { keyPath: 'chainId' });
        db.createObjectStore('images', { keyPath: 'id' });
        db.createObjectStore('tags', { keyPath: 'name' }).createIndex('image', 'image');
        db.createObjectStore('containers', { keyPath: 'Id' });
        db.createObjectStore('fsEntries', { keyPath: ['scope', 'path'] });
        db.createObjectStore('volumes', { keyPath: 'Name' });
        db.createObjectStore('logs');
        db.createObjectStore('fsIndex', { keyPath: 'scope' }).createIndex('stamp', 'stamp', { unique: true });
      },
    });
    await v3.put('containers', old);
    await v3.put('volumes', volume);
    v3.close();

    const { Engine, engineInternals } = await import('../../../engine/engine.ts');
    const upgraded = await Engine.open({ dbName: name, nodes: 0 });
    const { db } = engineInternals(upgraded);
    try {
      // On to the newest version: version 5 added the services' desired state.
      expect(db.version).toBe(5);
      expect([...db.objectStoreNames]).toEqual(expect.arrayContaining(['networks', 'services']));
      expect((await upgraded.volumes.inspect('keep')).Name).toBe('keep');
      const r = upgraded.containers.inspect('old');
      expect(r.HostConfig).toMatchObject({ NetworkMode: 'bridge', PortBindings: {}, PublishAllPorts: false });
      expect(r.NetworkSettings.Networks.bridge?.NetworkID).toBe(upgraded.networks.inspect('bridge').Id);
      expect(await db.count('networks')).toBe(3);
    } finally {
      await upgraded.close();
    }
  });
});

describe('opening at a full quota', () => {
  it('opens, writes no network it already has, and keeps the predefined ones in memory when they cannot be saved', async () => {
    const { Engine, engineInternals } = await import('../../../engine/engine.ts');
    const name = `net-quota-${process.pid}`;
    const first = await Engine.open({ dbName: name, nodes: 0 });
    const ids = first.networks.list().map((n) => n.Id);
    await first.close();
    const put = IDBObjectStore.prototype.put;
    const puts: string[] = [];
    IDBObjectStore.prototype.put = function (this: IDBObjectStore) {
      puts.push(this.name);
      throw new DOMException('quota', 'QuotaExceededError');
    };
    try {
      const again = await Engine.open({ dbName: name, nodes: 0 });
      expect(again.networks.list().map((n) => n.Id)).toEqual(ids);
      expect(puts).toEqual([]);
      await again.close();
      const fresh = await Engine.open({ dbName: `${name}-fresh`, nodes: 0 });
      expect(fresh.networks.list().map((n) => n.Name)).toEqual(['bridge', 'host', 'none']);
      expect(puts).toEqual(['networks', 'networks', 'networks']);
      expect(await engineInternals(fresh).db.count('networks')).toBe(0);
      await fresh.close();
    } finally {
      IDBObjectStore.prototype.put = put;
    }
  });
});

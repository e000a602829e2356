// A service's virtual IP in the network Worker's Fabric, in Node with the real lwIP stacks: three
// replica stacks and a client stack on the network's switch (over MessagePorts, as NICs are). The
// client connects to VIP:80 (a port no one declared) and the replicas answer round robin; a replica
// taken out of the backends gets no more connections, one that refuses is skipped, and a VIP with
// no backend resets the client's connection; given up, the address can be set again.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Fabric } from '../../../net/fabric.ts';
import { TcpIpStack } from '../../../net/tcpip/index.ts';
import { loadLwipModule } from '../../support/lwip-module.ts';

let lwip: WebAssembly.Module;
beforeAll(() => {
  lwip = loadLwipModule();
});

const NET = 'n1';
const VIP = { address: '10.9.0.5', mac: '02:42:0a:09:00:05' };
const opened: { close(): void }[] = [];
afterEach(() => {
  for (const o of opened.splice(0)) o.close();
});

/** A stack plugged into the fabric's switch through a MessagePort, as a container's NIC is. */
async function host(fabric: Fabric, n: number): Promise<TcpIpStack> {
  const mac = `02:42:0a:09:00:${n.toString(16).padStart(2, '0')}`;
  const stack = await TcpIpStack.create(lwip, { mac, address: `10.9.0.${n}`, prefix: 24 });
  const { port1, port2 } = new MessageChannel();
  stack.onFrame((f) => port1.postMessage(f, [f.buffer as ArrayBuffer]));
  port1.onmessage = (e: MessageEvent<Uint8Array>) => stack.input(e.data);
  await fabric.attach(NET, port2, mac);
  opened.push(stack, port1);
  return stack;
}

async function request(client: TcpIpStack, address: string, port: number): Promise<string> {
  const c = await client.connect(address, port);
  const w = c.writable.getWriter();
  await w.write(new TextEncoder().encode('hi'));
  await w.close();
  return new Response(c.readable).text();
}

async function network() {
  const fabric = new Fabric(undefined, async () => lwip);
  await fabric.createNetwork(NET, { subnet: '10.9.0.0/24', gateway: '10.9.0.1' });
  opened.push({ close: () => void fabric.removeNetwork(NET) });
  const replicas = await Promise.all([10, 11, 12].map((n) => host(fabric, n)));
  replicas.forEach((r, i) =>
    r.listen(80, (c) => {
      void (async () => {
        await new Response(c.readable).arrayBuffer();
        const w = c.writable.getWriter();
        await w.write(new TextEncoder().encode(`replica-${i + 1}`));
        await w.close();
      })();
    }),
  );
  const client = await host(fabric, 20);
  return { fabric, replicas, client };
}

describe('a service VIP in the fabric', () => {
  it('spreads new connections round robin over its backends, on any port, and drops a backend taken out', async () => {
    const { fabric, client } = await network();
    await fabric.setVirtualIp(NET, { ...VIP, backends: ['10.9.0.10', '10.9.0.11', '10.9.0.12'] });
    const got: string[] = [];
    for (let i = 0; i < 9; i++) got.push(await request(client, VIP.address, 80));
    expect(got).toEqual([1, 2, 3, 1, 2, 3, 1, 2, 3].map((n) => `replica-${n}`));

    await fabric.setVirtualIp(NET, { ...VIP, backends: ['10.9.0.10', '10.9.0.12'] });
    const after = new Set<string>();
    for (let i = 0; i < 4; i++) after.add(await request(client, VIP.address, 80));
    expect([...after].sort()).toEqual(['replica-1', 'replica-3']);
  });

  it('skips a backend that refuses, resets when none is left, and gives the address up', async () => {
    const { fabric, client } = await network();
    // 10.9.0.13 listens on nothing: it answers the VIP's SYN with RST.
    await host(fabric, 13);
    await fabric.setVirtualIp(NET, { ...VIP, backends: ['10.9.0.13', '10.9.0.11'] });
    expect(await request(client, VIP.address, 80)).toBe('replica-2');
    expect(await request(client, VIP.address, 80)).toBe('replica-2');

    await fabric.setVirtualIp(NET, { ...VIP, backends: [] });
    await expect(request(client, VIP.address, 80)).rejects.toThrow();

    // Given up, the address can be taken again (the stack refuses an address it already has).
    await fabric.removeVirtualIp(NET, VIP.address);
    await fabric.setVirtualIp(NET, { ...VIP, backends: ['10.9.0.12'] });
    expect(await request(client, VIP.address, 80)).toBe('replica-3');
  });
});

// The learning switch: unicast to the learned port, flooding of broadcast and unknown unicast,
// bounded port queues that drop (and count) under a flood, isolation between networks.
import { afterEach, describe, expect, it } from 'vitest';
import { Fabric } from '../../../net/fabric.ts';
import { cable, frame, settle } from './frames.ts';

const A = '02:42:ac:1e:00:02';
const B = '02:42:ac:1e:00:03';
const C = '02:42:ac:1e:00:04';
const BROADCAST = 'ff:ff:ff:ff:ff:ff';
const cables: ReturnType<typeof cable>[] = [];

async function network(fabric: Fabric, id: string, macs: string[]) {
  await fabric.createNetwork(id, { subnet: '172.30.0.0/16', gateway: '172.30.0.1' });
  const ends = macs.map(() => cable());
  cables.push(...ends);
  for (const [i, mac] of macs.entries()) await fabric.attach(id, ends[i]!.switchEnd, mac);
  return ends;
}
const tags = (frames: Uint8Array[]) => frames.map((f) => (f[14]! << 8) | f[15]!);

afterEach(() => {
  for (const c of cables.splice(0)) c.close();
});

describe('EthernetSwitch', () => {
  it('sends unicast only to the port its destination is behind', async () => {
    const fabric = new Fabric();
    const [a, b, c] = await network(fabric, 'n', [A, B, C]);
    a!.send(frame(B, A, 1));
    c!.send(frame(A, C, 2));
    await settle();
    expect(tags(b!.received)).toEqual([1]);
    expect(tags(a!.received)).toEqual([2]);
    expect(c!.received).toEqual([]);
  });

  it('floods broadcast and unknown unicast to every other port, then learns the answer', async () => {
    const fabric = new Fabric();
    const [a, b, c] = await network(fabric, 'n', [A, B, C]);
    const stranger = '02:00:00:00:00:99';
    a!.send(frame(BROADCAST, A, 1));
    a!.send(frame(stranger, A, 2));
    await settle();
    expect(tags(b!.received)).toEqual([1, 2]);
    expect(tags(c!.received)).toEqual([1, 2]);
    expect(a!.received).toEqual([]);
    // The stranger (a second MAC behind port C) speaks: the switch learns where it is.
    c!.send(frame(A, stranger, 3));
    await settle();
    a!.send(frame(stranger, A, 4));
    await settle();
    expect(tags(c!.received)).toEqual([1, 2, 4]);
    expect(tags(b!.received)).toEqual([1, 2]);
    expect((await fabric.stats('n')).learned).toBe(5); // A, B, C, the stranger, the gateway
  });

  it('drops frames for a port whose queue is full, and counts them', async () => {
    const fabric = new Fabric(8);
    const [a, b] = await network(fabric, 'n', [A, B]);
    const sent = 500;
    for (let i = 0; i < sent; i++) a!.send(frame(B, A, i));
    await settle(200);
    const stats = await fabric.stats('n');
    const toB = stats.ports.find((p) => p.mac === B)!;
    expect(toB.dropped).toBeGreaterThan(0);
    expect(toB.framesOut + toB.dropped).toBe(sent);
    expect(b!.received.length).toBe(toB.framesOut);
    // What got through is in order.
    const got = tags(b!.received);
    expect(got).toEqual([...got].sort((x, y) => x - y));
    expect(stats.ports.find((p) => p.mac === A)!.framesIn).toBe(sent);
  });

  it('keeps two networks apart', async () => {
    const fabric = new Fabric();
    const [a] = await network(fabric, 'one', [A]);
    const [other] = await network(fabric, 'two', [B]);
    a!.send(frame(BROADCAST, A, 1));
    a!.send(frame(B, A, 2));
    await settle();
    expect(other!.received).toEqual([]);
  });

  it('rejects a second port with the same MAC, and forgets a detached one', async () => {
    const fabric = new Fabric();
    const [a, b] = await network(fabric, 'n', [A, B]);
    const twin = cable();
    cables.push(twin);
    await expect(fabric.attach('n', twin.switchEnd, A)).rejects.toThrow(/already attached/);
    await fabric.detach('n', B);
    a!.send(frame(B, A, 1));
    await settle();
    expect(b!.received).toEqual([]);
    expect((await fabric.stats('n')).ports.map((p) => p.mac)).toEqual([A]);
    await expect(fabric.stats('gone')).rejects.toThrow(/network gone not found/);
  });
});

describe('EthernetSwitch and its gateway', () => {
  it("does not let a port take over the gateway's MAC", async () => {
    const fabric = new Fabric();
    const [a, b] = await network(fabric, 'n', [A, B]);
    const gateway = '02:42:ac:1e:00:01';
    b!.send(frame(A, gateway, 1)); // B claims to be the gateway
    await settle();
    a!.send(frame(gateway, A, 2));
    await settle();
    expect(tags(a!.received)).toEqual([1]);
    expect(b!.received).toEqual([]);
  });
});

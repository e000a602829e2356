// The gateway's own answers on its switch, byte for byte: ARP for its address, ICMP echo, and
// the embedded DNS (A records from setRecords, NODATA for other types, NXDOMAIN for the rest).
// The expected frames were assembled by an independent implementation (Python's struct).
import { afterEach, describe, expect, it } from 'vitest';
import { parseIpv4 as ip, parseMac } from '../../../core/net/address.ts';
import { buildEthernet, EtherType, parseEthernet } from '../../../core/net/ethernet.ts';
import { ICMP_ADMIN_PROHIBITED, IcmpType, parseIcmp } from '../../../core/net/icmp.ts';
import { buildIpv4Packet, IpProtocol, parseIpv4Packet } from '../../../core/net/ipv4.ts';
import { Fabric } from '../../../net/fabric.ts';
import { Gateway } from '../../../net/gateway.ts';
import { cable, hex, settle, toHex } from './frames.ts';

const ends: ReturnType<typeof cable>[] = [];
afterEach(() => {
  for (const c of ends.splice(0)) c.close();
});

async function ask(request: string): Promise<string[]> {
  const fabric = new Fabric();
  await fabric.createNetwork('n', { subnet: '172.30.0.0/16', gateway: '172.30.0.1' });
  await fabric.setRecords('n', [{ name: 'web', address: '172.30.0.3' }]);
  const c = cable();
  ends.push(c);
  await fabric.attach('n', c.switchEnd, '02:42:ac:1e:00:02');
  c.send(hex(request));
  await settle();
  return c.received.map(toHex);
}

describe('the gateway', () => {
  it('answers ARP for its address', async () => {
    expect(await ask('ffffffffffff0242ac1e0002080600010800060400010242ac1e0002ac1e0002000000000000ac1e0001')).toEqual([
      '0242ac1e00020242ac1e0001080600010800060400020242ac1e0001ac1e00010242ac1e0002ac1e0002',
    ]);
  });

  it('does not answer ARP for another address', async () => {
    expect(await ask('ffffffffffff0242ac1e0002080600010800060400010242ac1e0002ac1e0002000000000000ac1e0009')).toEqual([]);
  });

  it('answers ping', async () => {
    expect(await ask('0242ac1e00010242ac1e0002080045000024000740004001e292ac1e0002ac1e000108005435123400016162636465666768')).toEqual([
      '0242ac1e00020242ac1e0001080045000024000040004001e299ac1e0001ac1e000200005c35123400016162636465666768',
    ]);
  });

  it('ignores a ping whose IP header checksum is wrong', async () => {
    expect(await ask('0242ac1e00010242ac1e0002080045000024000740004001e293ac1e0002ac1e000108005435123400016162636465666768')).toEqual([]);
  });

  it('answers DNS: an A record for a known name', async () => {
    expect(await ask('0242ac1e00010242ac1e0002080045000031000940004011e273ac1e0002ac1e00019c400035001de034beef01000001000000000000037765620000010001')).toEqual(
      [
        '0242ac1e00020242ac1e0001080045000041000040004011e26cac1e0001ac1e000200359c40002dcfa4beef85000001000100000000037765620000010001c00c00010001000002580004ac1e0003',
      ],
    );
  });

  it('answers DNS: no AAAA records for a known name (any case), NXDOMAIN for an unknown one', async () => {
    expect(await ask('0242ac1e00010242ac1e0002080045000031000940004011e273ac1e0002ac1e00019c400035001dc554beef010000010000000000000357656200001c0001')).toEqual(
      ['0242ac1e00020242ac1e0001080045000031000040004011e27cac1e0001ac1e000200359c40001d4154beef850000010000000000000357656200001c0001'],
    );
    expect(
      await ask('0242ac1e00010242ac1e0002080045000032000940004011e272ac1e0002ac1e00019c400035001e722bbeef01000001000000000000046e6f70650000010001'),
    ).toEqual(['0242ac1e00020242ac1e0001080045000032000040004011e27bac1e0001ac1e000200359c40001eee27beef85030001000000000000046e6f70650000010001']);
  });

  it('refuses a packet for another network at once: ICMP administratively prohibited, quoting it', async () => {
    // A TCP SYN from 172.30.0.2 to 8.8.8.8:80, sent to the gateway's MAC (the default route).
    const syn = new Uint8Array(20);
    syn.set([0xc0, 0x00, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff]);
    const packet = buildIpv4Packet({ src: ip('172.30.0.2'), dst: ip('8.8.8.8'), protocol: IpProtocol.tcp, payload: syn });
    const [reply, ...more] = await ask(toHex(buildEthernet(parseMac('02:42:ac:1e:00:01'), parseMac('02:42:ac:1e:00:02'), EtherType.ipv4, packet)));
    expect(more).toEqual([]);
    const eth = parseEthernet(hex(reply!))!;
    const back = parseIpv4Packet(eth.payload)!;
    expect([back.src, back.dst, back.protocol]).toEqual([ip('172.30.0.1'), ip('172.30.0.2'), IpProtocol.icmp]);
    const icmp = parseIcmp(back.payload)!;
    expect([icmp.type, icmp.code]).toEqual([IcmpType.destinationUnreachable, ICMP_ADMIN_PROHIBITED]);
    expect(toHex(icmp.rest)).toBe(`00000000${toHex(packet.subarray(0, 28))}`);
  });

  it('hands the stack the frames for the addresses it serves, and refuses the rest', () => {
    const sent: Uint8Array[] = [];
    const toStack: Uint8Array[] = [];
    const gw = new Gateway(ip('172.30.0.1'), (f) => sent.push(f));
    gw.takeStack({ input: (f) => toStack.push(f) });
    const wasiMac = parseMac('02:42:ac:1e:00:05');
    gw.serve(ip('172.30.0.5'), wasiMac);
    const tcp = (dstMac: Uint8Array, dst: string) =>
      buildEthernet(
        dstMac,
        parseMac('02:42:ac:1e:00:02'),
        EtherType.ipv4,
        buildIpv4Packet({ src: ip('172.30.0.2'), dst: ip(dst), protocol: IpProtocol.tcp, payload: new Uint8Array(20) }),
      );
    gw.receive(tcp(wasiMac, '172.30.0.5'));
    expect([toStack.length, sent.length]).toEqual([1, 0]);
    // Another container's frame is not the gateway's; an unserved address behind its MAC is refused.
    gw.receive(tcp(parseMac('02:42:ac:1e:00:07'), '172.30.0.7'));
    gw.receive(tcp(parseMac('02:42:ac:1e:00:01'), '172.30.0.9'));
    expect([toStack.length, sent.length]).toEqual([1, 1]);
    gw.unserve(ip('172.30.0.5'));
    gw.receive(tcp(wasiMac, '172.30.0.5'));
    expect(toStack.length).toBe(1);
    expect(gw.lookup('nope')).toBeUndefined();
  });

  it('rejects a gateway outside its subnet', async () => {
    await expect(new Fabric().createNetwork('n', { subnet: '172.30.0.0/16', gateway: '10.0.0.1' })).rejects.toThrow(/not in subnet/);
  });
});

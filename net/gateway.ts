// A network's gateway as the containers on its switch see it: it answers ARP for its address,
// ping, and DNS on UDP port 53 (the engine's embedded DNS: A records for the names the engine
// sets, NXDOMAIN for the rest). Once the engine needs TCP on the network, its TCP/IP stack takes
// the gateway's address: everything but DNS then goes to the stack, which answers ARP and ping
// itself, and so do frames for the addresses the stack serves for containers without a NIC. A
// packet the gateway would have to route elsewhere (egress goes through the gateway's HTTP proxy,
// not by routing) is answered at once with ICMP "administratively prohibited", so a container's
// connect fails fast instead of timing out.
import { type Ipv4, macForIpv4, macKey, parseIpv4 } from '../core/net/address.ts';
import { ArpOp, buildArp, parseArp } from '../core/net/arp.ts';
import { buildDnsAnswer, DnsRcode, DnsType, parseDnsQuery } from '../core/net/dns.ts';
import { buildEthernet, EtherType, parseEthernet } from '../core/net/ethernet.ts';
import type { DnsRecord } from '../core/net/fabric-api.ts';
import { buildIcmp, ICMP_ADMIN_PROHIBITED, IcmpType, parseIcmp } from '../core/net/icmp.ts';
import { buildIpv4Packet, IpProtocol, type Ipv4Packet, parseIpv4Packet } from '../core/net/ipv4.ts';
import { buildUdp, parseUdp, type UdpDatagram } from '../core/net/udp.ts';
import type { LocalStation } from './ethernet-switch.ts';

const DNS_PORT = 53;
/** Docker's embedded DNS answers with this TTL. */
const DNS_TTL = 600;

/** The engine's TCP/IP stack, from the gateway's side: it takes the frames for the gateway. */
export interface GatewayStack {
  input(frame: Uint8Array): void;
}

export class Gateway implements LocalStation {
  readonly mac: Uint8Array;
  private records = new Map<string, Ipv4[]>();
  private stack: GatewayStack | undefined;
  /** Addresses the stack answers for (containers without a NIC), and their MACs, as macKey. */
  private readonly served = new Map<Ipv4, number>();
  private readonly servedMacs = new Set<number>();
  answers = 0;

  constructor(
    readonly ip: Ipv4,
    private readonly send: (frame: Uint8Array) => void,
  ) {
    this.mac = macForIpv4(ip);
  }

  setRecords(records: readonly DnsRecord[]): void {
    const next = new Map<string, Ipv4[]>();
    for (const r of records) {
      const name = r.name.toLowerCase().replace(/\.$/, '');
      next.set(name, [...(next.get(name) ?? []), parseIpv4(r.address)]);
    }
    this.records = next;
  }

  /** The first address a name has on the network, as the DNS answers it. */
  lookup(name: string): Ipv4 | undefined {
    return this.records.get(name.toLowerCase().replace(/\.$/, ''))?.[0];
  }

  /** Frames for `ip` (and its MAC) go to the stack, which answers for it. */
  serve(ip: Ipv4, mac: Uint8Array): void {
    this.served.set(ip, macKey(mac));
    this.servedMacs.add(macKey(mac));
  }

  unserve(ip: Ipv4): void {
    const mac = this.served.get(ip);
    this.served.delete(ip);
    if (mac !== undefined) this.servedMacs.delete(mac);
  }

  /** From now on `stack` is the gateway's address for all but DNS. */
  takeStack(stack: GatewayStack): void {
    this.stack = stack;
  }

  receive(frame: Uint8Array): void {
    const eth = parseEthernet(frame);
    if (!eth) return;
    const toMe = eth.dst.every((b, i) => b === this.mac[i]);
    const toServed = !toMe && this.servedMacs.size > 0 && this.servedMacs.has(macKey(eth.dst));
    // Each frame's headers are parsed once, here: the gateway sees every frame on its switch.
    const ip = (toMe || toServed) && eth.type === EtherType.ipv4 ? parseIpv4Packet(eth.payload) : undefined;
    if (ip && ip.dst !== this.ip && !this.served.has(ip.dst)) {
      this.refuseRouted(eth.src, eth.payload, ip);
      return;
    }
    const udp = ip && !ip.fragment && ip.protocol === IpProtocol.udp ? parseUdp(ip.payload, ip.src, ip.dst) : undefined;
    if (ip && toMe && udp?.dstPort === DNS_PORT) {
      this.onDns(eth.src, ip, udp);
      return;
    }
    if (this.stack) {
      if (toMe || toServed || eth.dst.every((b) => b === 0xff)) this.stack.input(frame);
    } else if (eth.type === EtherType.arp) this.onArp(eth.src, eth.payload);
    else if (ip && !ip.fragment && ip.protocol === IpProtocol.icmp) this.onPing(eth.src, ip);
  }

  /** Answers a packet for another network with "administratively prohibited". */
  private refuseRouted(from: Uint8Array, payload: Uint8Array, ip: Ipv4Packet): void {
    // The reply quotes the packet's header and its first 8 bytes of data (RFC 792).
    const quoted = payload.subarray(0, (payload[0]! & 15) * 4 + 8);
    const rest = new Uint8Array(4 + quoted.length);
    rest.set(quoted, 4);
    const icmp = buildIcmp({ type: IcmpType.destinationUnreachable, code: ICMP_ADMIN_PROHIBITED, rest });
    this.reply(from, EtherType.ipv4, buildIpv4Packet({ src: this.ip, dst: ip.src, protocol: IpProtocol.icmp, payload: icmp }));
  }

  private reply(to: Uint8Array, type: number, payload: Uint8Array): void {
    this.answers++;
    this.send(buildEthernet(to, this.mac, type, payload));
  }

  private onArp(from: Uint8Array, payload: Uint8Array): void {
    const arp = parseArp(payload);
    if (!arp || arp.op !== ArpOp.request || arp.targetIp !== this.ip) return;
    this.reply(from, EtherType.arp, buildArp({ op: ArpOp.reply, senderMac: this.mac, senderIp: this.ip, targetMac: arp.senderMac, targetIp: arp.senderIp }));
  }

  private onPing(from: Uint8Array, ip: Ipv4Packet): void {
    const icmp = parseIcmp(ip.payload);
    if (icmp?.type !== IcmpType.echoRequest) return;
    const answer = buildIcmp({ type: IcmpType.echoReply, code: 0, rest: icmp.rest });
    this.reply(from, EtherType.ipv4, buildIpv4Packet({ src: this.ip, dst: ip.src, protocol: IpProtocol.icmp, payload: answer }));
  }

  private onDns(from: Uint8Array, ip: Ipv4Packet, udp: UdpDatagram): void {
    const dns = this.answerDns(udp.payload);
    if (!dns) return;
    const answer = buildUdp(this.ip, ip.src, { srcPort: DNS_PORT, dstPort: udp.srcPort, payload: dns });
    this.reply(from, EtherType.ipv4, buildIpv4Packet({ src: this.ip, dst: ip.src, protocol: IpProtocol.udp, payload: answer }));
  }

  private answerDns(message: Uint8Array): Uint8Array | undefined {
    const q = parseDnsQuery(message);
    if (!q) return undefined;
    const opcode = (q.flags >> 11) & 15;
    if (opcode !== 0) return buildDnsAnswer(q, DnsRcode.notImp);
    const known = this.records.get(q.name);
    if (!known) return buildDnsAnswer(q, DnsRcode.nxDomain);
    // A known name asked for another type (AAAA): it exists, with no records of that type.
    return buildDnsAnswer(q, DnsRcode.noError, q.type === DnsType.a ? known : [], DNS_TTL);
  }
}

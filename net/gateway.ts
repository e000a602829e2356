// A network's gateway as the containers on its switch see it: it answers ARP for its address,
// ping, and DNS on UDP port 53 (the engine's embedded DNS: A records for the names the engine
// sets, NXDOMAIN for the rest; forwarding to an upstream resolver comes later). Once the engine
// needs TCP on the network, its TCP/IP stack takes the gateway's address: everything but DNS then
// goes to the stack, which answers ARP and ping itself. A packet the gateway would have to route
// elsewhere (there is no egress yet) is answered at once with ICMP "administratively
// prohibited", so a container's connect fails fast instead of timing out.
import { type Ipv4, macForIpv4, parseIpv4 } from '../core/net/address.ts';
import { ArpOp, buildArp, parseArp } from '../core/net/arp.ts';
import { buildDnsAnswer, DnsRcode, DnsType, parseDnsQuery } from '../core/net/dns.ts';
import { buildEthernet, EtherType, parseEthernet } from '../core/net/ethernet.ts';
import type { DnsRecord } from '../core/net/fabric-api.ts';
import { buildIcmp, ICMP_ADMIN_PROHIBITED, IcmpType, parseIcmp } from '../core/net/icmp.ts';
import { buildIpv4Packet, IpProtocol, parseIpv4Packet } from '../core/net/ipv4.ts';
import { buildUdp, parseUdp } from '../core/net/udp.ts';
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

  /** From now on `stack` is the gateway's address for all but DNS. */
  takeStack(stack: GatewayStack): void {
    this.stack = stack;
  }

  receive(frame: Uint8Array): void {
    const eth = parseEthernet(frame);
    if (!eth) return;
    const toMe = eth.dst.every((b, i) => b === this.mac[i]);
    if (toMe && eth.type === EtherType.ipv4 && this.refuseRouted(eth.src, eth.payload)) return;
    if (this.stack && !(toMe && eth.type === EtherType.ipv4 && this.isDns(eth.payload))) {
      if (toMe || eth.dst.every((b) => b === 0xff)) this.stack.input(frame);
      return;
    }
    if (eth.type === EtherType.arp) this.onArp(eth.src, eth.payload);
    else if (eth.type === EtherType.ipv4 && toMe) this.onIpv4(eth.src, eth.payload);
  }

  /** Answers a packet for another network with "administratively prohibited"; true when it did. */
  private refuseRouted(from: Uint8Array, payload: Uint8Array): boolean {
    const ip = parseIpv4Packet(payload);
    if (!ip || ip.dst === this.ip) return false;
    // The reply quotes the packet's header and its first 8 bytes of data (RFC 792).
    const quoted = payload.subarray(0, (payload[0]! & 15) * 4 + 8);
    const rest = new Uint8Array(4 + quoted.length);
    rest.set(quoted, 4);
    const icmp = buildIcmp({ type: IcmpType.destinationUnreachable, code: ICMP_ADMIN_PROHIBITED, rest });
    this.reply(from, EtherType.ipv4, buildIpv4Packet({ src: this.ip, dst: ip.src, protocol: IpProtocol.icmp, payload: icmp }));
    return true;
  }

  private isDns(payload: Uint8Array): boolean {
    const ip = parseIpv4Packet(payload);
    return ip?.dst === this.ip && ip.protocol === IpProtocol.udp && parseUdp(ip.payload, ip.src, ip.dst)?.dstPort === DNS_PORT;
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

  private onIpv4(from: Uint8Array, payload: Uint8Array): void {
    const ip = parseIpv4Packet(payload);
    if (!ip || ip.dst !== this.ip || ip.fragment) return;
    let answer: Uint8Array | undefined;
    if (ip.protocol === IpProtocol.icmp) {
      const icmp = parseIcmp(ip.payload);
      if (icmp?.type === IcmpType.echoRequest) answer = buildIcmp({ type: IcmpType.echoReply, code: 0, rest: icmp.rest });
    } else if (ip.protocol === IpProtocol.udp) {
      const udp = parseUdp(ip.payload, ip.src, ip.dst);
      const dns = udp?.dstPort === DNS_PORT ? this.answerDns(udp.payload) : undefined;
      if (udp && dns) answer = buildUdp(this.ip, ip.src, { srcPort: DNS_PORT, dstPort: udp.srcPort, payload: dns });
    }
    if (!answer) return;
    this.reply(from, EtherType.ipv4, buildIpv4Packet({ src: this.ip, dst: ip.src, protocol: ip.protocol, payload: answer }));
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

// A learning Ethernet switch: it learns which port each source MAC is behind, sends a frame to
// the port its destination was learned on, and floods broadcast, multicast and unknown unicast
// to every other port. Local listeners (the gateway) see every frame a port would, in-thread.
import { ConflictError } from '../core/errors.ts';
import { macKey, parseMac } from '../core/net/address.ts';
import { ETHER_HEADER, isGroupMac } from '../core/net/ethernet.ts';
import { SwitchPort } from './switch-port.ts';

/** Frames waiting per port; a NIC ring of 256 buffers is the common size. */
const DEFAULT_QUEUE_LIMIT = 256;
/** The largest untagged frame without its FCS (1500 bytes of payload). */
const MAX_FRAME = 1514;

/** A station inside the switch's own thread (the gateway): it answers by `inject`. */
export interface LocalStation {
  readonly mac: Uint8Array;
  receive(frame: Uint8Array): void;
}

export class EthernetSwitch {
  private readonly ports = new Map<number, SwitchPort>();
  private readonly table = new Map<number, SwitchPort | LocalStation>();
  private readonly locals: LocalStation[] = [];
  discarded = 0;

  constructor(private readonly queueLimit = DEFAULT_QUEUE_LIMIT) {}

  attach(mac: string, port: MessagePort): void {
    const key = macKey(parseMac(mac));
    if (this.ports.has(key) || this.locals.some((l) => macKey(l.mac) === key)) {
      throw new ConflictError(`a port with MAC ${mac} is already attached to this network`);
    }
    const p = new SwitchPort(mac.toLowerCase(), port, this.queueLimit, (f, from) => this.forward(f, from));
    this.ports.set(key, p);
    this.table.set(key, p);
  }

  detach(mac: string): void {
    const key = macKey(parseMac(mac));
    const p = this.ports.get(key);
    // Unplugging what is not plugged in is no error: the engine undoes a start that failed half-way.
    if (!p) return;
    this.ports.delete(key);
    for (const [k, where] of this.table) if (where === p) this.table.delete(k);
    p.close();
  }

  addLocal(station: LocalStation): void {
    this.locals.push(station);
    this.table.set(macKey(station.mac), station);
  }

  /** A frame from a local station, switched like any other. */
  inject(frame: Uint8Array, from: LocalStation): void {
    this.forward(frame, from);
  }

  private forward(frame: Uint8Array, from: SwitchPort | LocalStation): void {
    if (frame.length < ETHER_HEADER || frame.length > MAX_FRAME) {
      this.discarded++;
      return;
    }
    const src = macKey(frame, 6);
    // A port may move a MAC it learned elsewhere (a real switch does), never the gateway's.
    if (!isGroupMac(frame.subarray(6, 12)) && !this.isLocal(this.table.get(src))) this.table.set(src, from);
    const to = isGroupMac(frame) ? undefined : this.table.get(macKey(frame, 0));
    if (to === from) return; // both ends behind the same port: nothing to switch
    if (to) {
      this.deliver(to, frame);
      return;
    }
    const locals = this.locals.filter((l) => l !== from);
    const ports = [...this.ports.values()].filter((p) => p !== from);
    if (locals.length + ports.length === 0) this.discarded++;
    // Local stations read the frame at once; ports own what they queue (it is transferred on),
    // so every port but the last gets a copy.
    for (const l of locals) l.receive(frame);
    ports.forEach((p, i) => p.enqueue(i === ports.length - 1 ? frame : frame.slice()));
  }

  private isLocal(where: SwitchPort | LocalStation | undefined): boolean {
    return where !== undefined && !(where instanceof SwitchPort);
  }

  private deliver(to: SwitchPort | LocalStation, frame: Uint8Array): void {
    if (to instanceof SwitchPort) to.enqueue(frame);
    else to.receive(frame);
  }

  get learned(): number {
    return this.table.size;
  }

  portStats() {
    return [...this.ports.values()].map((p) => p.stats());
  }

  close(): void {
    for (const p of this.ports.values()) p.close();
    this.ports.clear();
    this.table.clear();
  }
}

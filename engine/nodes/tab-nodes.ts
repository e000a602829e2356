// Nodes in other tabs of this origin, so a cluster can span tabs. The engine's tab accepts them
// (acceptTabNodes); another tab joins with a node Worker of its own (joinAsNode). They meet in a
// SharedWorker (tab-broker-worker.ts), which hands the node's port to the engine. Closing the
// node's tab is a node failure: the engine waits on a Web Lock that tab holds while it is open.
import * as Comlink from 'comlink';
import type { NodeAgentApi } from '../../core/protocol.ts';
import { defaultNodeFactory, HEARTBEAT_MS, type NodeManager } from './node-manager.ts';
import type { NodeArrived, ToBroker } from './tab-broker-worker.ts';

const broker = () => new SharedWorker(new URL('./tab-broker-worker.ts', import.meta.url), { type: 'module', name: 'container-engine-nodes' });

/** Whether this browser can join tabs into one cluster (SharedWorker, Web Locks). */
export const tabNodesSupported = () => typeof SharedWorker === 'function' && typeof navigator !== 'undefined' && 'locks' in navigator;

/** Takes the nodes that tabs offer for database `db`, as they come. */
export function acceptTabNodes(nodes: NodeManager, db: string): void {
  const { port } = broker();
  port.onmessage = (e: MessageEvent<NodeArrived>) => {
    const { name, port: agent, lock } = e.data.node;
    try {
      nodes.addTab(agent, lock, { name });
    } catch {
      // The same node offered again (it re-offers until pinged): it is here already.
      agent.close();
    }
  };
  port.postMessage({ t: 'accept', db } satisfies ToBroker);
}

/** `waiting` for an engine to take the node, `joined` while it pings it, `ended` once it took the node down. */
export type TabNodeState = 'waiting' | 'joined' | 'ended';

export interface TabNode {
  /** The node's name in `docker node ls`. */
  readonly name: string;
  state(): TabNodeState;
  /** Ends the node and lets go of the tab's lock, as closing the tab would. */
  leave(): void;
}

/** A joined node that misses this many of its engine's pings offers itself again (the engine's tab reloaded or closed). */
const REOFFER_MS = 5 * HEARTBEAT_MS;
const POLL_MS = 1000;

/** Runs a node in this tab for the engine of database `db` in another tab. */
export async function joinAsNode(db: string, opts: { name?: string; onState?: (s: TabNodeState) => void } = {}): Promise<TabNode> {
  const name = opts.name ?? `tab-${crypto.randomUUID().slice(0, 6)}`;
  const lock = `container-engine-node:${db}:${name}:${crypto.randomUUID()}`;
  let release: () => void = () => undefined;
  await new Promise<void>((held) => {
    void navigator.locks.request(lock, () => {
      held();
      return new Promise<void>((r) => (release = r));
    });
  });
  let worker = defaultNodeFactory(name);
  let api = Comlink.wrap<NodeAgentApi>(worker);
  const { port } = broker();
  let state: TabNodeState = 'waiting';
  let offeredAt = 0;
  const set = (next: TabNodeState) => {
    if (next === state) return;
    state = next;
    opts.onState?.(next);
  };
  const offer = async () => {
    offeredAt = performance.now();
    const channel = new MessageChannel();
    await api.serve(Comlink.transfer(channel.port2, [channel.port2]));
    port.postMessage({ t: 'join', db, node: { name, port: channel.port1, lock } } satisfies ToBroker, [channel.port1]);
  };
  const end = () => {
    clearInterval(poll);
    set('ended');
    worker.terminate();
    port.close();
    release();
  };
  const poll = setInterval(async () => {
    // A node its engine retired has closed its Worker, which then never answers.
    const since = await Promise.race([api.sincePing(), new Promise<undefined>((r) => setTimeout(r, 3 * POLL_MS))]);
    if (state === 'ended') return;
    if (since === undefined) return end();
    if (since < REOFFER_MS) return set('joined');
    if (state === 'joined') {
      // Its engine went away (its tab reloaded or closed): what the node ran for it has no one to
      // report to. A new node Worker starts clean; ending the old one ends its processes.
      worker.terminate();
      worker = defaultNodeFactory(name);
      api = Comlink.wrap<NodeAgentApi>(worker);
    }
    set('waiting');
    if (performance.now() - offeredAt >= REOFFER_MS) await offer();
  }, POLL_MS);
  await offer();
  return { name, state: () => state, leave: end };
}

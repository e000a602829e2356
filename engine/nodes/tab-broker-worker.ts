// The SharedWorker where the tabs of one origin meet (tab-nodes.ts): a tab whose engine takes
// nodes from other tabs says so for its database; a tab that joins that database as a node sends
// its node's port here, and the port goes on to that engine, or waits until one says so.

/** Tab → broker. */
export type ToBroker = { readonly t: 'accept'; readonly db: string } | { readonly t: 'join'; readonly db: string; readonly node: JoiningNode };

/** Broker → the engine's tab. */
export interface NodeArrived {
  readonly t: 'node';
  readonly node: JoiningNode;
}

export interface JoiningNode {
  readonly name: string;
  /** The node agent's API, served on this port. */
  readonly port: MessagePort;
  /** The Web Lock the node's tab holds while it is open. */
  readonly lock: string;
}

const engines = new Map<string, MessagePort>();
const waiting = new Map<string, JoiningNode[]>();

function deliver(engine: MessagePort, node: JoiningNode): void {
  engine.postMessage({ t: 'node', node } satisfies NodeArrived, [node.port]);
}

(self as unknown as { onconnect: (e: MessageEvent) => void }).onconnect = (e) => {
  const tab = e.ports[0]!;
  tab.onmessage = (m: MessageEvent<ToBroker>) => {
    const msg = m.data;
    if (msg.t === 'accept') {
      // The newest engine of a database takes its nodes (the previous one reloaded or closed).
      engines.set(msg.db, tab);
      for (const node of waiting.get(msg.db) ?? []) deliver(tab, node);
      waiting.delete(msg.db);
    } else {
      const engine = engines.get(msg.db);
      if (engine) deliver(engine, msg.node);
      else {
        // A node offers itself again until an engine takes it: keep its latest offer only.
        const queued = waiting.get(msg.db) ?? [];
        for (const old of queued) if (old.name === msg.node.name) old.port.close();
        waiting.set(msg.db, [...queued.filter((n) => n.name !== msg.node.name), msg.node]);
      }
    }
  };
};

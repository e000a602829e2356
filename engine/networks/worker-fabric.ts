// The network fabric the engine uses in a browser: the network Worker (net/fabric-worker.ts),
// one switch per network. Frames never pass through the engine: each NIC's port is handed to the
// Worker, and the node Worker gets the other end.
import * as Comlink from 'comlink';
import { ConnectionRefusedError } from '../../core/errors.ts';
import type { FabricApi } from '../../core/net/fabric-api.ts';
import type { NetworkFabric } from './network-fabric.ts';

export interface WorkerFabric extends NetworkFabric {
  /** The switches' counters (frames, drops), for `docker network inspect`'s tests and benches. */
  readonly api: Comlink.Remote<FabricApi>;
  close(): void;
}

export function startWorkerFabric(): WorkerFabric {
  const worker = new Worker(new URL('../../net/fabric-worker.ts', import.meta.url), { type: 'module', name: 'network' });
  const api = Comlink.wrap<FabricApi>(worker);
  return {
    api,
    createNetwork: (id, subnet, gateway) => api.createNetwork(id, { subnet, gateway }),
    removeNetwork: (id) => api.removeNetwork(id),
    async attach(networkId, nic) {
      const { port1, port2 } = new MessageChannel();
      await api.attach(networkId, Comlink.transfer(port2, [port2]), nic.mac);
      return port1;
    },
    detach: (networkId, mac) => api.detach(networkId, mac),
    setRecords: (networkId, records) => api.setRecords(networkId, records),
    async connect(networkId, address, port) {
      const { port1, port2 } = new MessageChannel();
      try {
        await api.connect(networkId, address, port, Comlink.transfer(port2, [port2]));
      } catch (e) {
        port1.close();
        // Comlink carries an error's name and message across, not its class.
        if (e instanceof Error && e.name === ConnectionRefusedError.name) throw new ConnectionRefusedError(e.message);
        throw e;
      }
      return port1;
    },
    close() {
      api[Comlink.releaseProxy]();
      worker.terminate();
    },
  };
}

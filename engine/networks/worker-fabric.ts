// The network fabric the engine uses in a browser: the network Worker (net/fabric-worker.ts),
// one switch per network. Frames never pass through the engine: each NIC's port is handed to the
// Worker, and the node Worker gets the other end.
import * as Comlink from 'comlink';
import type { FabricApi } from '../../core/net/fabric-api.ts';
import { remotePort } from '../remote-port.ts';
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
    attach: (networkId, nic) => remotePort((far) => api.attach(networkId, far, nic.mac)),
    detach: (networkId, mac) => api.detach(networkId, mac),
    setRecords: (networkId, records) => api.setRecords(networkId, records),
    connect: (networkId, address, port) => remotePort((far) => api.connect(networkId, address, port, far)),
    close() {
      api[Comlink.releaseProxy]();
      worker.terminate();
    },
  };
}

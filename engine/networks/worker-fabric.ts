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

/**
 * `egress`: the project's proxy's egress endpoint (`ws://host/egress`), if containers may reach beyond.
 * `lwipUrl`: where lwIP's wasm is served (absolute), when not `/net/lwip.wasm` on the page's origin.
 */
export function startWorkerFabric(egress?: string, lwipUrl?: string): WorkerFabric {
  const worker = new Worker(new URL('../../net/fabric-worker.ts', import.meta.url), { type: 'module', name: 'network' });
  const api = Comlink.wrap<FabricApi>(worker);
  if (egress) void api.setEgress(egress);
  // Before any network is created (comlink keeps the calls in order), so the first stack loads from there.
  if (lwipUrl) void api.setLwipUrl(lwipUrl);
  return {
    api,
    createNetwork: (id, config) => api.createNetwork(id, config),
    removeNetwork: (id) => api.removeNetwork(id),
    attach: (networkId, nic) => remotePort((far) => api.attach(networkId, far, nic.mac)),
    detach: (networkId, mac) => api.detach(networkId, mac),
    setRecords: (networkId, records) => api.setRecords(networkId, records),
    connect: (networkId, address, port) => remotePort((far) => api.connect(networkId, address, port, far)),
    serve: (networkId, nic, ports, dial) =>
      api.serve(
        networkId,
        nic.mac,
        nic.address.split('/')[0]!,
        ports,
        Comlink.proxy(async (port: number) => {
          const stream = await dial(port);
          return Comlink.transfer(stream, [stream]);
        }),
      ),
    setVirtualIp: (networkId, vip) => api.setVirtualIp(networkId, vip),
    removeVirtualIp: (networkId, address) => api.removeVirtualIp(networkId, address),
    close() {
      api[Comlink.releaseProxy]();
      worker.terminate();
    },
  };
}

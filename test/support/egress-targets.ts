// Servers "beyond" the containers' networks for the egress tests: plain HTTP servers on this
// machine, named by its hostname (which resolves to a local address), so a container's request
// for them must leave through the gateway's proxy and the project's proxy. One is on the egress
// allowlist, one is not; each counts the requests it saw.
import { lookup } from 'node:dns/promises';
import { createServer, type Server } from 'node:http';
import os from 'node:os';

export interface EgressTargets {
  /** This machine's hostname, as containers name the servers. */
  readonly host: string;
  /** The address it resolves to (non-public: the allowlist must name it explicitly). */
  readonly address: string;
  readonly allowedPort: number;
  readonly refusedPort: number;
  /** PROXY_EGRESS_ALLOW for a proxy that allows the first and not the second. */
  readonly allow: string;
  close(): Promise<void>;
}

function serve(address: string, name: string): Promise<Server> {
  let hits = 0;
  const server = createServer((req, res) => {
    if (req.url === '/hits') return void res.end(String(hits));
    hits++;
    res.end(`hello from ${name} outside, ${req.method} ${req.url}\n`);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, () => resolve(server));
  });
}

const portOf = (s: Server) => (s.address() as { port: number }).port;

export async function startEgressTargets(): Promise<EgressTargets> {
  const host = os.hostname();
  const { address } = await lookup(host, { family: 4 }).catch((e: Error) => {
    throw new Error(`the egress tests name this machine by its hostname (${host}), which does not resolve: ${e.message} (add it to /etc/hosts)`);
  });
  const allowed = await serve(address, 'allowed');
  const refused = await serve(address, 'refused');
  return {
    host,
    address,
    allowedPort: portOf(allowed),
    refusedPort: portOf(refused),
    allow: `${host}:${portOf(allowed)},${address}:${portOf(allowed)}`,
    close: async () => {
      for (const s of [allowed, refused]) await new Promise((r) => s.close(r));
    },
  };
}

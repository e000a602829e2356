// Standalone registry + URL fetch + egress proxy: `npm run proxy` (tsx proxy/main.ts). Configured
// by PROXY_* variables and an optional JSON file (PROXY_CONFIG); see proxy/README.md.
import { createServer } from 'node:http';
import { loadProxyConfig } from './config.ts';
import { createEgressProxy } from './egress.ts';
import { createFetchProxy } from './fetch-endpoint.ts';
import { createRegistryProxy } from './server.ts';

const config = loadProxyConfig();
const proxy = createRegistryProxy(config);
const fetcher = createFetchProxy(config);
const egress = createEgressProxy(config);
const server = createServer((req, res) => proxy.handle(req, res, () => fetcher.handle(req, res, () => egress.handle(req, res))));
server.on('upgrade', (req, socket, head) => {
  if (!egress.handleUpgrade(req, socket, head)) socket.destroy();
});

server.listen(config.port, config.host, () => {
  const addr = server.address();
  const where = typeof addr === 'object' && addr ? `${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}` : String(addr);
  console.log(
    `registry proxy listening on http://${where} ` +
      `(allow: ${config.allow.join(', ') || 'nothing'}; push allow: ${config.pushAllow.join(', ') || 'nothing'}; private networks: ${config.allowPrivate.join(', ') || 'none'}; ` +
      `egress allow: ${config.egressAllow.join(', ') || 'nothing'}; cache: ${config.cacheDir}, ${config.cacheMaxBytes} bytes; tag TTL ${config.tagTtlSeconds} s; ` +
      `credentials for: ${Object.keys(config.credentials).join(', ') || 'none'})`,
  );
});

const stop = () => {
  egress.close();
  fetcher.close();
  server.close();
  server.closeAllConnections();
  void proxy.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

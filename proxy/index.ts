// The package's Node entry (`browser-container-engine/proxy`): the registry proxy, the URL fetch
// endpoint and the egress proxy as request handlers for any Node HTTP server, and the Vite plugin
// that mounts all three on a dev or preview server. proxy/main.ts is the standalone server.
export type { ProxyConfig, RegistryCredentials } from './config.ts';
export { DEFAULT_ALLOW, loadProxyConfig } from './config.ts';
export { createEgressProxy, type EgressProxy } from './egress.ts';
export { createFetchProxy, type FetchProxy } from './fetch-endpoint.ts';
export { createRegistryProxy, type RegistryProxy } from './server.ts';
export { registryProxyPlugin } from './vite-plugin.ts';

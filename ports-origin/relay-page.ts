// The relay page: an iframe of the ports origin inside the engine's tab. It installs the Service
// Worker and passes each request the worker hands it to the engine's tab (its parent), with the
// reply port, so the engine answers straight to the worker. Only the parent may be the engine:
// the origin the tab gave in `?engine=` is the one messages go to.
import { type PortRequest, type PortSocketRequest, type RelayReady, SERVICE_WORKER_PATH } from './wire.ts';

const engineOrigin = new URLSearchParams(location.search).get('engine');

async function start(): Promise<void> {
  if (!engineOrigin || window.parent === window) throw new Error('the relay page runs inside the engine tab, with ?engine=<origin>');
  navigator.serviceWorker.addEventListener('message', (e: MessageEvent<PortRequest | PortSocketRequest>) => {
    if (e.data?.type !== 'port-request' && e.data?.type !== 'port-websocket') return;
    window.parent.postMessage(e.data, engineOrigin, [...e.ports, ...(e.data.type === 'port-request' && e.data.body ? [e.data.body] : [])]);
  });
  navigator.serviceWorker.startMessages();
  await navigator.serviceWorker.register(SERVICE_WORKER_PATH, { scope: '/' });
  await navigator.serviceWorker.ready;
  const ready: RelayReady = { type: 'ports-relay-ready' };
  window.parent.postMessage(ready, engineOrigin);
}

void start();

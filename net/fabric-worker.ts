// The network Worker's entry: its networks (fabric.ts), offered to the engine over comlink.
// Frames never pass through the engine: each container's port is plugged straight in here.
import * as Comlink from 'comlink';
import { Fabric } from './fabric.ts';

// lwIP's module, copied next to the guest kit by set-up (scripts/setup.sh), unless the engine says where.
const loadLwip = (url = new URL('/net/lwip.wasm', self.location.origin).href) => WebAssembly.compileStreaming(fetch(url));

Comlink.expose(new Fabric(undefined, loadLwip));

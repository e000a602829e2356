// The network Worker's entry: its networks (fabric.ts), offered to the engine over comlink.
// Frames never pass through the engine: each container's port is plugged straight in here.
import * as Comlink from 'comlink';
import { Fabric } from './fabric.ts';

Comlink.expose(new Fabric());

import { ENGINE_VERSION } from '../engine/index.ts';

/** The CLI ships with the engine, so it carries the engine's version. */
export const CLI_VERSION = ENGINE_VERSION;

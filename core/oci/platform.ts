import { InvalidParameterError } from '../errors.ts';

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
  readonly 'os.version'?: string;
}

const WASI_OS = new Set(['wasi', 'wasip1', 'wasip2']);
const WASM_ARCH = new Set(['wasm', 'wasm32']);

export function isWasiPlatform(p: Platform): boolean {
  return WASI_OS.has(p.os) && WASM_ARCH.has(p.architecture);
}

export function parsePlatform(s: string): Platform {
  const parts = s.trim().toLowerCase().split('/');
  const [os, architecture, variant] = parts;
  if (!os || !architecture || parts.length > 3) {
    throw new InvalidParameterError(`"${s}": invalid platform: expected os/arch[/variant]`);
  }
  return variant ? { os, architecture, variant } : { os, architecture };
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

/**
 * Whether an image for `have` can run where `want` is asked for. WASI is one platform for us
 * whatever spelling the image uses (Docker+Wasm's wasi/wasm, OCI 1.1's wasip1/wasm).
 */
export function platformMatches(want: Platform, have: Platform): boolean {
  if (isWasiPlatform(want)) return isWasiPlatform(have);
  if (want.os !== have.os || want.architecture !== have.architecture) return false;
  return !want.variant || want.variant === have.variant;
}

/** What this engine can run, in order of preference when the caller names no platform. */
export const RUNNABLE_PLATFORMS: readonly Platform[] = [
  { os: 'wasi', architecture: 'wasm' },
  { os: 'linux', architecture: '386' },
];

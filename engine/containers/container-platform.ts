import { formatPlatform, isWasiPlatform } from '../../core/oci/platform.ts';
import type { ContainerRecord } from '../../core/store/container-types.ts';
import { CannotRunError } from './container-errors.ts';

/** Whether a container's processes get a kernel terminal: x86 guests have one, WASI modules do not. */
export function hasKernelTerminal(rec: ContainerRecord): boolean {
  return !isWasiPlatform(rec.Platform) && rec.Platform.os === 'linux' && rec.Platform.architecture === '386';
}

/** How a platform runs here: WASI natively, linux/386 under x86 emulation; nothing else. */
export function runnablePlatform(p: ContainerRecord['Platform']): 'wasi' | 'linux/386' {
  if (isWasiPlatform(p)) return 'wasi';
  if (p.os === 'linux' && p.architecture === '386') return 'linux/386';
  throw new CannotRunError(`image platform ${formatPlatform(p)} cannot run here: containers run as WASI (wasi/wasm) or under x86 emulation (linux/386)`);
}

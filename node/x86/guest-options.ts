// The emulated machine, identical where the guest kit is booted (Node, at set-up) and where its
// saved state is restored (the node Worker): a state only restores into the same devices and
// the same memory size.
import type { V86Options } from 'v86';

/** What scripts/guest-kit/build.sh writes next to the states (`kit.json`). */
export interface GuestKitManifest {
  readonly version: 1;
  /** v86 build the states were saved with; another build may not restore them. */
  readonly v86: string;
  readonly kernel: string;
  readonly cmdline: string;
  /** Guest RAM sizes in MiB with a saved state each: `state-<mib>.gzip`. */
  readonly memoryMiB: readonly number[];
  readonly files: Readonly<Record<string, { readonly size: number; readonly sha256: string }>>;
  /** Cold boot to the shim's ready frame, per memory size, in ms (informational). */
  readonly bootMs: Readonly<Record<string, number>>;
}

export const DEFAULT_MEMORY_MIB = 128;

/**
 * Kernel command line. `cryptomgr.notests noisapnp` skip ~5 s of guest boot; `init_on_free`
 * zeroes freed pages, which v86 leaves out of a saved state.
 */
export const CMDLINE =
  'console=ttyS0 tsc=reliable mitigations=off random.trust_cpu=on nowatchdog audit=0 quiet ' + 'cryptomgr.notests noisapnp init_on_free=on';

/** Not `.gz`: static servers (Vite's among them) send those with Content-Encoding: gzip. */
export function stateFile(memoryMiB: number): string {
  return `state-${memoryMiB}.gzip`;
}

/** The smallest saved guest that holds `bytes` (0 = the default size); undefined if none does. */
export function pickMemory(kit: GuestKitManifest, bytes: number): number | undefined {
  const want = bytes > 0 ? Math.ceil(bytes / (1 << 20)) : DEFAULT_MEMORY_MIB;
  return [...kit.memoryMiB].sort((a, b) => a - b).find((m) => m >= want);
}

/** Options for `new V86`; boot images and the 9p handler are added by the caller. */
export function machineOptions(memoryMiB: number): V86Options {
  return {
    memory_size: memoryMiB << 20,
    vga_memory_size: 2 << 20,
    cmdline: CMDLINE,
    // The shim's framed channel: to the guest over ttyS1 (ttyS0 stays the kernel console), from
    // it over the virtio console, which carries tens of MB/s where a serial port carries 0.2.
    uart1: true,
    virtio_console: { type: 'none' },
    // Every machine has the virtio NIC (a state restores only into the same devices); a container
    // without a network leaves it down and unplugged.
    net_device: { type: 'virtio' },
    autostart: true,
    disable_keyboard: true,
    disable_mouse: true,
    disable_speaker: true,
  };
}

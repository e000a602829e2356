// Cold-boots the guest kit once under v86 in Node and saves the machine state right after the
// shim reports ready, so containers start from a restore (~0.5 s) instead of a boot (~20 s).
//   tsx scripts/guest-kit/boot.ts <kit dir> <memory MiB> <out file>
// Reads bios.bin, vgabios.bin, vmlinuz, initrd.gz from <kit dir>; writes the raw state.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { V86 } from 'v86';
import { listenToShim } from '../../node/x86/channel.ts';
import { machineOptions } from '../../node/x86/guest-options.ts';

const [dir, mib, out] = process.argv.slice(2);
if (!dir || !mib || !out) throw new Error('usage: boot.ts <kit dir> <memory MiB> <out file>');
const buf = (f: string) => {
  const b = readFileSync(path.join(dir, f));
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
};
const wasm = path.join(path.dirname(createRequire(import.meta.url).resolve('v86')), 'v86.wasm');

const t0 = performance.now();
const emulator = new V86({
  ...machineOptions(Number(mib)),
  wasm_path: wasm,
  bios: { buffer: buf('bios.bin') },
  vga_bios: { buffer: buf('vgabios.bin') },
  bzimage: { buffer: buf('vmlinuz') },
  initrd: { buffer: buf('initrd.gz') },
  // The same 9p device type as the executor's (a state restores only into the same devices);
  // nothing mounts it before the state is saved.
  filesystem: { handle9p: () => undefined },
});
// v86 makes every port of its virtio console a console (hvc) when the guest's driver reports it
// ready. The shim wants port 1 as a plain port: a write there is one virtqueue round trip of up to
// 32 KiB, where a console's goes through the tty layer 2 KiB at a time (~4× slower here). The
// driver reports its ports only while booting, so the saved state keeps port 1 plain.
emulator.add_listener('emulator-loaded', () => {
  const VIRTIO_CONSOLE_CONSOLE_PORT = 4;
  const device = (emulator as unknown as { v86?: { cpu?: { devices?: { virtio_console?: { SendEvent?: unknown } } } } }).v86?.cpu?.devices?.virtio_console;
  const send = device?.SendEvent;
  if (!device || typeof send !== 'function') {
    process.stderr.write(`this v86 build has no VirtioConsole.SendEvent to keep port 1 plain (v86 changed?): the shim's channel needs it\n`);
    process.exit(1);
  }
  device.SendEvent = function (port: number, event: number, value: number) {
    if (event === VIRTIO_CONSOLE_CONSOLE_PORT && port >= 1) return;
    return send.call(this, port, event, value);
  };
});
let console0 = '';
emulator.add_listener('serial0-output-byte', (b) => {
  console0 = (console0 + String.fromCharCode(b)).slice(-8000);
  if (process.env.VERBOSE) process.stderr.write(String.fromCharCode(b));
});
const timeout = setTimeout(() => {
  process.stderr.write(`guest did not become ready in 180 s; console:\n${console0}\n`);
  process.exit(1);
}, 180_000);
await new Promise<void>((resolve) => {
  listenToShim(emulator, (f) => {
    if (f.type === 'R') resolve();
    else if (f.type === 'L') process.stderr.write(`[shim] ${new TextDecoder().decode(f.payload)}\n`);
    else if (f.type === 'B') {
      // A guest that could not load a module must not be saved: every container would fail.
      process.stderr.write(`the guest failed to boot cleanly:\n${new TextDecoder().decode(f.payload)}`);
      process.exit(1);
    }
  });
});
clearTimeout(timeout);
const bootMs = Math.round(performance.now() - t0);
// Let the guest settle into its idle poll before the snapshot.
await new Promise((r) => setTimeout(r, 300));
const state = await emulator.save_state();
await emulator.destroy();
writeFileSync(out, new Uint8Array(state));
process.stdout.write(`${JSON.stringify({ bootMs, stateBytes: state.byteLength })}\n`);
process.exit(0);

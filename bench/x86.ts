// bench/x86: linux/386 containers in Chromium. Time from spawn to the first output of `echo`
// on a warm node (one x86 container ran before) and on a fresh node (nothing fetched, compiled
// or restored yet; either up for a second, as nodes are started with the engine, or created
// at the spawn), against a cold boot of the same kernel under v86; and a CPU-bound shell
// loop in a container, against the same busybox natively and under bare v86 (the kit's kernel
// and busybox with `rdinit=/bin/sh`: no shim, no 9p, no chroot); and the console's throughput,
// a container's stdout against a pipe inside the guest.
// Run: npx tsx bench/x86.ts   (after set-up: scripts/guest-kit/build.sh and the test fixtures)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ProcessSpec } from '../core/protocol.ts';
import { CMDLINE } from '../node/x86/guest-options.ts';
import { launchChromium, openHarness } from '../test/support/chromium.ts';
import { fixturesDir, startRegistry } from '../test/support/registry.ts';
import { startViteServer } from '../test/support/vite-server.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const LOOP = Number(process.env.LOOP ?? 30000);
/** 64 KiB blocks of dd for the console throughput (160 = 10 MiB). */
const DD_BLOCKS = Number(process.env.DD_BLOCKS ?? 160);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const kitDir = path.join(root, '.cache/guest-kit');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const fmt = (xs: number[]) => `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)}, n=${xs.length})`;
const loopCmd = `i=0; while [ $i -lt ${LOOP} ]; do i=$((i+1)); done`;

for (const f of ['kit.json', 'vmlinuz', 'initrd.gz', 'bios.bin']) {
  try {
    statSync(path.join(kitDir, f));
  } catch {
    throw new Error(`the guest kit is missing (${kitDir}/${f}): run \`bash scripts/guest-kit/build.sh\``);
  }
}

// ---------------------------------------------------------------- native busybox (the same deb)
const tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-x86-'));
const deb = readdirSync(path.join(kitDir, 'debs')).find((f) => f.startsWith('busybox-static_'))!;
execFileSync('dpkg', ['-x', path.join(kitDir, 'debs', deb), tmp]);
const nativeMs: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  const t = performance.now();
  execFileSync(path.join(tmp, 'bin/busybox'), ['sh', '-c', loopCmd]);
  nativeMs.push(performance.now() - t);
}
rmSync(tmp, { recursive: true, force: true });

// ---------------------------------------------------------------- browser
const reg = await startRegistry({ dataDir: path.join(fixturesDir(), 'registry-data'), readOnly: true });
const vite = await startViteServer();
const baseUrl = vite.baseUrl;
const s = await launchChromium();
// The cold-boot images are not in the public kit (containers never boot): hand them to the page.
await s.context.route('**/bench-kit/*', (route) =>
  route.fulfill({ body: readFileSync(path.join(kitDir, path.basename(new URL(route.request().url()).pathname))), contentType: 'application/octet-stream' }),
);
const busybox = `${reg.host}/fixtures/busybox:latest`;

interface Run {
  firstOutputMs: number;
  loopMs?: number;
}
declare global {
  var XB: {
    fresh(spec: ProcessSpec, idleMs: number): Promise<Run>;
    warm(spec: ProcessSpec): Promise<Run>;
    /** Bytes of stdout, and ms from the first to the last. */
    throughput(spec: ProcessSpec): Promise<{ bytes: number; ms: number }>;
    bare(loop: string, cmdline: string): Promise<{ promptMs: number; firstOutputMs: number; loopMs: number }>;
  };
}

const PAGE = `
import { X86Node } from '/node/x86/x86-node.ts';
const dec = new TextDecoder();
function runOn(node, spec) {
  const t0 = performance.now();
  let out = '', first, go, done;
  return new Promise((resolve, reject) => {
    node.spawn(spec, (e) => {
      const t = performance.now() - t0;
      if (e.type === 'stdout') {
        first ??= t;
        out += dec.decode(e.data);
        if (go === undefined && out.includes('go')) go = t;
        if (done === undefined && out.includes('done')) done = t;
      } else if (e.type === 'exit') {
        if (e.code !== 0) reject(new Error('exit ' + e.code + ' ' + (e.error ?? '')));
        else resolve({ firstOutputMs: first, loopMs: done !== undefined ? done - go : undefined });
      }
    }).catch(reject);
  });
}
const warmNode = new X86Node();
window.XB = {
  async fresh(spec, idleMs) {
    const node = new X86Node();
    await new Promise((r) => setTimeout(r, idleMs));
    return runOn(node, spec);
  },
  warm: (spec) => runOn(warmNode, spec),
  throughput(spec) {
    let bytes = 0, first, last;
    return new Promise((resolve, reject) => {
      warmNode.spawn(spec, (e) => {
        if (e.type === 'stdout') {
          last = performance.now();
          first ??= last;
          bytes += e.data.length;
        } else if (e.type === 'exit') {
          if (e.code !== 0) reject(new Error('exit ' + e.code + ' ' + (e.error ?? '')));
          else resolve({ bytes, ms: last - first });
        }
      }).catch(reject);
    });
  },
  bare(loop, cmdline) {
    const src = \`
      import { V86 } from '\${location.origin}/node_modules/v86/build/libv86.mjs';
      onmessage = async (e) => {
        const get = async (f) => (await fetch('\${location.origin}/bench-kit/' + f)).arrayBuffer();
        const [bios, vgabios, vmlinuz, initrd] = await Promise.all(['bios.bin', 'vgabios.bin', 'vmlinuz', 'initrd.gz'].map(get));
        const t0 = performance.now();
        const emu = new V86({ wasm_path: '\${location.origin}/node_modules/v86/build/v86.wasm', bios: { buffer: bios }, vga_bios: { buffer: vgabios },
          bzimage: { buffer: vmlinuz }, initrd: { buffer: initrd }, cmdline: e.data.cmdline, memory_size: 128 << 20, vga_memory_size: 2 << 20,
          autostart: true, disable_keyboard: true, disable_mouse: true, disable_speaker: true });
        let text = '';
        const waits = [];
        emu.add_listener('serial0-output-byte', (b) => {
          text += String.fromCharCode(b);
          for (const w of waits.slice()) if (text.indexOf(w.s, w.from) >= 0) { waits.splice(waits.indexOf(w), 1); w.res(performance.now()); }
        });
        const wait = (s, from = 0) => new Promise((res) => { if (text.indexOf(s, from) >= 0) res(performance.now()); else waits.push({ s, from, res }); });
        const promptMs = (await wait('# ')) - t0;
        emu.serial0_send('echo B-$((1+1))\\\\n');
        const firstOutputMs = (await wait('B-2')) - t0;
        const from = text.length;
        emu.serial0_send('echo go-$((1+2)); ' + e.data.loop + '; echo done-$((2+2))\\\\n');
        const go = await wait('go-3', from);
        const loopMs = (await wait('done-4', from)) - go;
        await emu.destroy();
        postMessage({ promptMs, firstOutputMs, loopMs });
      };\`;
    const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })), { type: 'module' });
    return new Promise((resolve, reject) => {
      w.onmessage = (e) => { w.terminate(); resolve(e.data); };
      w.onerror = (e) => reject(new Error(e.message));
      w.postMessage({ loop, cmdline });
    });
  },
};
`;

try {
  await openHarness(s.page, baseUrl, 'bench-x86');
  await s.page.evaluate(async (ref) => {
    globalThis.E = await T.open();
    await E.images.pull(ref);
  }, busybox);
  await s.page.addScriptTag({ type: 'module', content: PAGE });
  await s.page.waitForFunction(() => (window as unknown as { XB?: unknown }).XB !== undefined);
  const spec = (argv: string[]) =>
    s.page.evaluate(
      async ([ref, argv]) => {
        const img = await E.images.resolve(ref!);
        const id = crypto.randomUUID().replace(/-/g, '');
        return {
          processId: id,
          containerId: id,
          dbName: 'bench-x86',
          chainIds: img.chainIds,
          mounts: [],
          argv: argv as string[],
          env: ['PATH=/bin:/usr/bin'],
          cwd: '/',
          uid: 0,
          gid: 0,
          hostname: 'bench',
          tty: false,
          openStdin: false,
          memoryLimit: 0,
        } satisfies ProcessSpec;
      },
      [busybox, argv] as const,
    );

  const echo = ['/bin/echo', 'hello'];
  const freshMs: number[] = [];
  const newMs: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    freshMs.push((await s.page.evaluate((sp) => XB.fresh(sp, 1000), await spec(echo))).firstOutputMs);
    newMs.push((await s.page.evaluate((sp) => XB.fresh(sp, 0), await spec(echo))).firstOutputMs);
  }
  await s.page.evaluate((sp) => XB.warm(sp), await spec(echo)); // makes the node warm
  await new Promise((r) => setTimeout(r, 1500)); // the node restores its next machine ahead
  const warmMs: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    warmMs.push((await s.page.evaluate((sp) => XB.warm(sp), await spec(echo))).firstOutputMs);
    await new Promise((r) => setTimeout(r, 1500));
  }
  // Console throughput: dd's zeros to the container's stdout, against the same bytes through a
  // pipe inside the guest (what the guest itself can move).
  const ddCmd = `dd if=/dev/zero bs=65536 count=${DD_BLOCKS} 2>/dev/null`;
  const toHost: number[] = [];
  const inGuest: number[] = [];
  for (let i = 0; i < Math.min(ROUNDS, 3); i++) {
    const t = await s.page.evaluate((sp) => XB.throughput(sp), await spec(['/bin/sh', '-c', ddCmd]));
    if (t.bytes !== DD_BLOCKS * 65536) throw new Error(`stdout carried ${t.bytes} bytes of ${DD_BLOCKS * 65536}`);
    toHost.push(t.bytes / 1e3 / t.ms);
    const g = await s.page.evaluate((sp) => XB.warm(sp), await spec(['/bin/sh', '-c', `echo go; ${ddCmd} | cat > /dev/null; echo done`]));
    inGuest.push((DD_BLOCKS * 65536) / 1e3 / g.loopMs!);
    await new Promise((r) => setTimeout(r, 1500));
  }
  const containerLoopMs: number[] = [];
  const bootMs: number[] = [];
  const bootFirstMs: number[] = [];
  const bareLoopMs: number[] = [];
  for (let i = 0; i < Math.min(ROUNDS, 3); i++) {
    const c = await s.page.evaluate((sp) => XB.warm(sp), await spec(['/bin/sh', '-c', `echo go; ${loopCmd}; echo done`]));
    containerLoopMs.push(c.loopMs!);
    const b = await s.page.evaluate(([l, c]) => XB.bare(l!, c!), [loopCmd, `${CMDLINE} rdinit=/bin/sh`] as const);
    bootMs.push(b.promptMs);
    bootFirstMs.push(b.firstOutputMs);
    bareLoopMs.push(b.loopMs);
  }

  const kit = JSON.parse(readFileSync(path.join(kitDir, 'kit.json'), 'utf8')) as { files: Record<string, { size: number }> };
  console.log(`x86 containers in Chromium (${ROUNDS} rounds; loop = ${LOOP} iterations of a busybox sh while loop)`);
  console.log(`  first output of echo, fresh node:   ${fmt(freshMs)} (node up 1 s, no x86 container yet)`);
  console.log(`  first output of echo, new node:     ${fmt(newMs)} (node created at the spawn)`);
  console.log(`  first output of echo, warm node:    ${fmt(warmMs)}`);
  console.log(`  v86 cold boot to shell prompt:      ${fmt(bootMs)}`);
  console.log(`  v86 cold boot to first output:      ${fmt(bootFirstMs)}`);
  console.log(`  cold boot / fresh-node start:       ${(median(bootFirstMs) / median(freshMs)).toFixed(1)}x`);
  const mbps = (xs: number[]) => `${median(xs).toFixed(1)} MB/s (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)}, n=${xs.length})`;
  console.log(`  console throughput, stdout to host: ${mbps(toHost)} (${((DD_BLOCKS * 65536) / 2 ** 20).toFixed(0)} MiB of dd)`);
  console.log(`  the same through a pipe in guest:   ${mbps(inGuest)}`);
  console.log(`  stdout / the guest's own pipe:      ${(median(toHost) / median(inGuest)).toFixed(2)}x`);
  console.log(`  CPU loop, container:                ${fmt(containerLoopMs)}`);
  console.log(`  CPU loop, bare v86:                 ${fmt(bareLoopMs)}`);
  console.log(`  CPU loop, native busybox:           ${fmt(nativeMs)}`);
  console.log(`  container speed vs bare v86:        ${(median(bareLoopMs) / median(containerLoopMs)).toFixed(2)}x (target >= 0.9)`);
  console.log(`  container slowdown vs native:       ${(median(containerLoopMs) / median(nativeMs)).toFixed(0)}x`);
  console.log(
    `  kit: ${Object.entries(kit.files)
      .map(([f, { size }]) => `${f} ${(size / 1e6).toFixed(1)} MB`)
      .join(', ')}`,
  );
} finally {
  await s.close();
  await vite.close();
  await reg.stop();
}

// The kit build's own proof that a saved guest works: restore the state the way every container
// starts (node/x86/container-session.ts), serve a root over 9p from an engine store, write and
// read a file through it, plug the NIC into a network's switch (net/fabric.ts) and ping its
// gateway from the container's own MAC and address over its default route, and compare the
// running kernel and its loaded modules with what the build put in. The demo and the tests must never be the first to find a broken kit.
//   tsx scripts/guest-kit/check.ts <state file (raw)> <memory MiB> <busybox binary> <kernel release> <module>...
// Prints one JSON line: {"checkMs", "release", "modules"}; exits 1 with the step that failed.
import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { writeTarEntries } from '../../core/archive/tar-writer.ts';
import { sha256Of } from '../../core/oci/digest.ts';
import type { ProcessSpec } from '../../core/protocol.ts';
import { Engine, engineInternals } from '../../engine/engine.ts';
import { Fabric } from '../../net/fabric.ts';
import { ContainerSession, type SessionEvent } from '../../node/x86/container-session.ts';

const [stateFile, mib, busyboxFile, release, ...modules] = process.argv.slice(2);
if (!stateFile || !mib || !busyboxFile || !release) {
  throw new Error('usage: check.ts <state file> <memory MiB> <busybox binary> <kernel release> <module>...');
}
const fail = (step: string, detail: string): never => {
  process.stderr.write(`kit check failed at ${step}: ${detail}\n`);
  process.exit(1);
};
const t0 = performance.now();
const timer = setTimeout(() => fail('the run', 'no exit within 120 s'), 120_000);

/** A one-layer linux/386 image of the kit's own busybox, as a `docker load` archive. */
async function busyboxArchive(): Promise<Uint8Array> {
  const enc = new TextEncoder();
  const layer = writeTarEntries([
    { name: 'bin', type: 'dir' },
    { name: 'bin/busybox', type: 'file', mode: 0o755, data: new Uint8Array(readFileSync(busyboxFile!)) },
    { name: 'bin/sh', type: 'symlink', linkTarget: 'busybox' },
    { name: 'tmp', type: 'dir', mode: 0o1777 },
  ]);
  const config = enc.encode(
    JSON.stringify({
      architecture: '386',
      os: 'linux',
      config: { Env: ['PATH=/bin'], Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: [await sha256Of(layer)] },
    }),
  );
  const manifest = enc.encode(JSON.stringify([{ Config: 'config.json', RepoTags: ['kit-check:latest'], Layers: ['layer.tar'] }]));
  return writeTarEntries([
    { name: 'manifest.json', type: 'file', data: manifest },
    { name: 'config.json', type: 'file', data: config },
    { name: 'layer.tar', type: 'file', data: layer },
  ]);
}

const engine = await Engine.open({ dbName: `kit-check-${process.pid}` });
await engine.images.load(await busyboxArchive()).catch((e: Error) => fail('loading the check image', e.message));
const { chainIds } = await engine.images.resolve('kit-check:latest');

const raw = readFileSync(stateFile);
const v86wasm = path.join(path.dirname(createRequire(import.meta.url).resolve('v86')), 'v86.wasm');
const image = {
  module: await WebAssembly.compile(readFileSync(v86wasm)),
  state: raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength) as ArrayBuffer,
  memoryMiB: Number(mib),
};

const MAC = '02:42:ac:1f:00:02';
const GATEWAY = '172.31.0.1';
const fabric = new Fabric();
await fabric.createNetwork('kit-check', { subnet: '172.31.0.0/16', gateway: GATEWAY });
const cable = new MessageChannel();
await fabric.attach('kit-check', cable.port1, MAC);

const out: string[] = [];
const err: string[] = [];
let exit: (SessionEvent & { type: 'exit' }) | undefined;
const ended = new Promise<void>((resolve) => {
  const session = new ContainerSession((e) => {
    if (e.type === 'stdout') out.push(new TextDecoder().decode(e.data));
    else if (e.type === 'stderr') err.push(new TextDecoder().decode(e.data));
    else if (e.type === 'exit') exit = e;
    else if (e.type === 'ended') resolve();
  });
  const spec: ProcessSpec = {
    processId: 'kit-check',
    containerId: 'kit-check',
    dbName: '',
    chainIds,
    mounts: [],
    // A write and a read back through the 9p root, the NIC and loopback, then what the guest runs.
    argv: [
      '/bin/sh',
      '-c',
      'echo ok > /tmp/check && cat /tmp/check && uname -r && cat /sys/class/net/eth0/address && ' +
        `ip route | grep -q "^default via ${GATEWAY} dev eth0" && ping -c1 -W5 ${GATEWAY} > /dev/null && ` +
        'ping -c1 -W2 127.0.0.1 > /dev/null && echo net-ok && cut -d" " -f1 /proc/modules',
    ],
    env: ['PATH=/bin'],
    cwd: '/',
    uid: 0,
    gid: 0,
    hostname: 'kit-check',
    tty: false,
    openStdin: false,
    memoryLimit: 0,
    network: {
      interfaces: [{ name: 'eth0', mac: MAC, address: '172.31.0.2/16', gateway: GATEWAY, port: cable.port2 }],
      hosts: '127.0.0.1\tlocalhost\n172.31.0.2\tkit-check\n',
      resolvConf: `nameserver ${GATEWAY}\n`,
      listenPorts: [],
    },
  };
  session.run(engineInternals(engine).db, spec, image).catch((e: Error) => fail('mounting the 9p root', e.message));
});
await ended;
clearTimeout(timer);
if (!exit || exit.code !== 0) fail('the run', `exit ${exit?.code}${exit?.error ? ` (${exit.error})` : ''}; stderr: ${err.join('').trim()}`);
const [ok, running, mac, net, ...loaded] = out.join('').trim().split('\n');
if (ok !== 'ok') fail('the 9p write and read back', `read ${JSON.stringify(ok)}`);
if (running !== release) fail('the kernel release', `the guest runs ${running}, the kit has ${release}`);
if (mac !== MAC) fail("the NIC's MAC", `eth0 has ${mac}, the container's is ${MAC}`);
const gw = await fabric.stats('kit-check');
if (net !== 'net-ok') fail('the network (route, ping of the gateway, loopback)', `stderr: ${err.join('').trim()}; switch: ${JSON.stringify(gw)}`);
const missing = modules.filter((m) => !loaded.includes(m));
if (missing.length) fail('the loaded modules', `not loaded: ${missing.join(', ')} (loaded: ${loaded.join(', ')})`);
process.stdout.write(
  `${JSON.stringify({ checkMs: Math.round(performance.now() - t0), release: running, modules: loaded, gatewayAnswers: gw.gatewayAnswers })}\n`,
);
process.exit(0);

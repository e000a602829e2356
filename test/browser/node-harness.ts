// Runs in Chromium next to harness.ts: starts node Workers (node/node-agent.ts) and runs
// processes on them, exposed to Playwright tests as `window.N`. Output and timings come back as
// plain data; a process's handle is its processId.
import * as Comlink from 'comlink';
import { formatMac, macForIpv4, parseCidr, parseIpv4 } from '../../core/net/address.ts';
import type { DnsRecord, FabricApi, NetworkConfig, NetworkStats } from '../../core/net/fabric-api.ts';
import type { DirectRequest, NetworkSpec, ProcessEvent, ProcessSpec } from '../../core/protocol.ts';
import { streamPort } from '../../core/stream-port.ts';
import { engineInternals } from '../../engine/engine.ts';
import { EventBus } from '../../engine/events.ts';
import { DirectRuns } from '../../engine/nodes/direct-runs.ts';
import { NodeManager } from '../../engine/nodes/node-manager.ts';
import { fetchOverStream } from '../../engine/ports/http-over-stream.ts';
import type { NodeAgent } from '../../node/node-agent.ts';
import { X86Node } from '../../node/x86/x86-node.ts';
import type { HttpInput, HttpOutcome, Outcome, SpecInput, X86NetInput } from '../support/node-harness-types.ts';

interface Running {
  readonly node: Comlink.Remote<NodeAgent>;
  readonly t0: number;
  stdout: string;
  stderr: string;
  started: boolean;
  firstOutputMs?: number;
  startedMs?: number;
  readonly exit: Promise<ProcessEvent & { type: 'exit' }>;
  exitMs?: number;
  /** Called whenever output arrives (waitFor). */
  onOutput?: () => void;
}

const dbName = new URLSearchParams(location.search).get('db') ?? 'harness';
interface HarnessNode {
  readonly worker: Worker;
  readonly api: Comlink.Remote<NodeAgent>;
  /** As the engine's nodes: WASI runs go straight to the node's reserved process Worker. */
  direct?: DirectRuns;
  /** DirectRuns holds a reservation it has not spent (what the node answered, as it answered). */
  reserved: boolean;
}

const nodes = new Map<string, HarnessNode>();
const running = new Map<string, Running>();
const decoder = new TextDecoder();
let seq = 0;

/** Starts a node Worker; `jspi: false` forces the fallback path, `direct: false` leaves its reservation to the test. */
async function startNode(name: string, opts: { jspi?: boolean; direct?: boolean } = {}): Promise<{ jspi: boolean }> {
  const worker = new Worker(new URL('/node/node-agent.ts', location.origin), { type: 'module', name });
  const api = Comlink.wrap<NodeAgent>(worker);
  const configured = await api.configure(opts.jspi === undefined ? {} : { jspi: opts.jspi });
  const n: HarnessNode = { worker, api, reserved: false };
  const watched = {
    reserve: async (onExit: Parameters<NodeAgent['reserve']>[0]) => {
      const answer = await api.reserve(onExit);
      n.reserved = typeof answer !== 'string';
      return answer;
    },
    claim: (spec: ProcessSpec) => {
      n.reserved = false;
      return api.claim(spec);
    },
  };
  if (opts.direct !== false) n.direct = new DirectRuns(watched);
  nodes.set(name, n);
  return configured;
}

/** NodeAgentApi.forget on one node: its Workers drop what they kept of `scopes`. */
function forget(name: string, scopes: string[]): Promise<void> {
  return nodes.get(name)!.api.forget(scopes);
}

function stopNode(name: string): void {
  nodes.get(name)?.direct?.close();
  nodes.get(name)?.worker.terminate();
  nodes.delete(name);
}

/** A ProcessSpec for an image already pulled into the harness database. */
async function spec(image: string, s: SpecInput): Promise<ProcessSpec> {
  const img = await E.images.resolve(image);
  return {
    processId: `p${++seq}-${Math.random().toString(36).slice(2, 8)}`,
    containerId: s.containerId ?? `c${seq}-${Math.random().toString(36).slice(2, 8)}`,
    // As the engine says of a container's first start: a new container's layer is empty.
    ...(s.containerId === undefined ? { emptyLayer: true } : {}),
    dbName,
    chainIds: img.chainIds,
    mounts: s.mounts ?? [],
    argv: s.argv,
    env: s.env ?? ['PATH=/bin'],
    cwd: s.cwd ?? '/',
    uid: 0,
    gid: 0,
    hostname: 'wasi-test',
    tty: s.tty ?? false,
    openStdin: s.openStdin ?? false,
    memoryLimit: s.memoryLimit ?? 0,
    ...(s.listenPorts ? { network: { interfaces: [], hosts: '', resolvConf: '', listenPorts: s.listenPorts } } : {}),
  };
}

/** Starts a process; returns its processId. */
async function start(nodeName: string, image: string, s: SpecInput): Promise<string> {
  const n = nodes.get(nodeName);
  if (!n) throw new Error(`no node ${nodeName}`);
  const node = n.api;
  const sp = await spec(image, s);
  let done!: (e: ProcessEvent & { type: 'exit' }) => void;
  const r: Running = { node, t0: performance.now(), stdout: '', stderr: '', started: false, exit: new Promise((res) => (done = res)) };
  running.set(sp.processId, r);
  const onEvent = (e: ProcessEvent) => {
    const t = performance.now() - r.t0;
    if (e.type === 'started') {
      r.started = true;
      r.startedMs = t;
    } else if (e.type === 'exit') {
      r.exitMs = t;
      done(e);
    } else {
      r.firstOutputMs ??= t;
      if (e.type === 'stdout') r.stdout += decoder.decode(e.data);
      else r.stderr += decoder.decode(e.data);
      r.onOutput?.();
    }
  };
  if (!(await n.direct?.spawn(sp, onEvent))) await node.spawn(sp, Comlink.proxy(onEvent));
  return sp.processId;
}

function get(id: string): Running {
  const r = running.get(id);
  if (!r) throw new Error(`no process ${id}`);
  return r;
}

async function write(id: string, text: string | null): Promise<void> {
  await get(id).node.writeStdin(id, text === null ? null : new TextEncoder().encode(text));
}

/** Resolves when the process's stdout contains `text`; the stdout so far. */
function waitFor(id: string, text: string, timeoutMs = 10_000): Promise<string> {
  const r = get(id);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${JSON.stringify(text)}; stdout: ${JSON.stringify(r.stdout)}`)), timeoutMs);
    const check = () => {
      if (!r.stdout.includes(text)) return;
      clearTimeout(timer);
      r.onOutput = undefined;
      resolve(r.stdout);
    };
    r.onOutput = check;
    check();
  });
}

async function kill(id: string, signal: number): Promise<void> {
  await get(id).node.kill(id, signal);
}

async function result(id: string): Promise<Outcome> {
  const r = get(id);
  const e = await r.exit;
  const stats = await r.node.stats(id);
  running.delete(id);
  return {
    stdout: r.stdout,
    stderr: r.stderr,
    code: e.code,
    ...(e.error !== undefined ? { error: e.error } : {}),
    ...(e.oomKilled ? { oomKilled: true } : {}),
    started: r.started,
    ...(r.firstOutputMs !== undefined ? { firstOutputMs: r.firstOutputMs } : {}),
    ...(r.startedMs !== undefined ? { startedMs: r.startedMs } : {}),
    exitMs: r.exitMs!,
    ...(stats ? { stats } : {}),
  };
}

/** Runs a process to its end, feeding `stdin` (then end of file) when given. */
async function run(nodeName: string, image: string, s: SpecInput & { stdin?: string }): Promise<Outcome> {
  const id = await start(nodeName, image, { ...s, openStdin: s.openStdin ?? s.stdin !== undefined });
  if (s.stdin !== undefined) {
    await write(id, s.stdin);
    await write(id, null);
  }
  return result(id);
}

/** The records of an fsEntries scope (a writable layer `c:<id>` or a volume `v:<name>`). */
async function scope(name: string): Promise<{ path: string; type: string; sha?: string }[]> {
  const all = await engineInternals(E).db.getAll('fsEntries', IDBKeyRange.bound([name, ''], [name, '\uffff']));
  return all.map((e) => ({ path: e.path, type: e.type, ...(e.sha ? { sha: e.sha } : {}) }));
}

// x86 containers on virtual networks: a network Worker (net/fabric-worker.ts) with the harness's
// networks, and an X86Node of the page's own (one guest Worker per container) plugged into them.
let fabric: Comlink.Remote<FabricApi> | undefined;
let x86: X86Node | undefined;
const networks = new Map<string, NetworkConfig>();
interface X86Run {
  stdout: string;
  stderr: string;
  started: boolean;
  readonly t0: number;
  exitMs?: number;
  readonly exit: Promise<ProcessEvent & { type: 'exit' }>;
}
const x86Runs = new Map<string, X86Run>();

async function createNetwork(id: string, config: NetworkConfig): Promise<void> {
  fabric ??= Comlink.wrap<FabricApi>(new Worker(new URL('/net/fabric-worker.ts', location.origin), { type: 'module', name: 'network' }));
  await fabric.createNetwork(id, config);
  networks.set(id, config);
}

async function setRecords(id: string, records: DnsRecord[]): Promise<void> {
  await fabric!.setRecords(id, records);
}

async function networkStats(id: string): Promise<NetworkStats> {
  return fabric!.stats(id);
}

/** A container's NetworkSpec, its cable plugged into the fabric (none: `--network none`). */
async function networkSpec(n: X86NetInput): Promise<NetworkSpec> {
  const hosts = `127.0.0.1\tlocalhost\n${n.ip ? `${n.ip}\t${n.hostname}\n` : ''}`;
  const config = n.network ? networks.get(n.network) : undefined;
  if (!n.network || !n.ip) return { interfaces: [], hosts, resolvConf: '', listenPorts: [] };
  if (!config) throw new Error(`no network ${n.network}`);
  const mac = formatMac(macForIpv4(parseIpv4(n.ip)));
  const cable = new MessageChannel();
  await fabric!.attach(n.network, Comlink.transfer(cable.port1, [cable.port1]), mac);
  const address = `${n.ip}/${parseCidr(config.subnet).prefix}`;
  return {
    interfaces: [{ name: 'eth0', mac, address, gateway: config.gateway, port: cable.port2 }],
    hosts,
    resolvConf: `nameserver ${config.gateway}\n`,
    listenPorts: [],
  };
}

/** Starts an x86 container of `image` on `net`; returns its processId (x86Result, x86WaitFor). */
async function x86Start(image: string, s: SpecInput, net: X86NetInput): Promise<string> {
  x86 ??= new X86Node();
  const base = await spec(image, s);
  // A container's main process: its processId is the container's ID (X86Node tells execs so).
  const sp = { ...base, processId: base.containerId, hostname: net.hostname, network: await networkSpec(net) };
  let done!: (e: ProcessEvent & { type: 'exit' }) => void;
  const r: X86Run = { stdout: '', stderr: '', started: false, t0: performance.now(), exit: new Promise((res) => (done = res)) };
  x86Runs.set(sp.processId, r);
  await x86.spawn(sp, (e) => {
    if (e.type === 'started') r.started = true;
    else if (e.type === 'exit') {
      r.exitMs = performance.now() - r.t0;
      done(e);
    } else if (e.type === 'stdout') r.stdout += decoder.decode(e.data);
    else if (e.type === 'stderr') r.stderr += decoder.decode(e.data);
  });
  return sp.processId;
}

/** Resolves once the x86 process's stdout contains `text`. */
async function x86WaitFor(id: string, text: string, timeoutMs = 30_000): Promise<string> {
  const r = x86Runs.get(id)!;
  const t0 = performance.now();
  while (!r.stdout.includes(text)) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${JSON.stringify(text)}; output: ${JSON.stringify(r.stdout + r.stderr)}`);
    await new Promise((res) => setTimeout(res, 50));
  }
  return r.stdout;
}

async function x86Result(id: string): Promise<Outcome> {
  const r = x86Runs.get(id)!;
  const e = await r.exit;
  x86Runs.delete(id);
  return { stdout: r.stdout, stderr: r.stderr, code: e.code, ...(e.error !== undefined ? { error: e.error } : {}), started: r.started, exitMs: r.exitMs! };
}

// Connections to WASI processes' listening sockets, as the engine makes them.
/** The engine's side: a NodeManager over the harness's node Workers. */
const connector = new NodeManager(new EventBus(), (name) => nodes.get(name)!.worker);
const managed = new Set<string>();

function connect(nodeName: string, id: string, port: number): Promise<MessagePort> {
  if (!managed.has(nodeName)) {
    connector.add({ name: nodeName });
    managed.add(nodeName);
  }
  return connector.connect(nodeName, id, port);
}

/** Sends one HTTP request over a new connection; the response's body, as it arrived, or the error. */
function http(nodeName: string, id: string, req: HttpInput, connected?: () => void): Promise<HttpOutcome> {
  return exchange(
    connect(nodeName, id, req.port).then((port) => {
      connected?.();
      return port;
    }),
    req,
  );
}

async function exchange(connection: Promise<MessagePort>, req: HttpInput): Promise<HttpOutcome> {
  const pieces: { ms: number; bytes: number }[] = [];
  const body: number[] = [];
  let status: number | undefined;
  let headers: Record<string, string> | undefined;
  try {
    const port = await connection;
    const request = new Request(`http://container${req.path}`, { method: req.method ?? 'GET', ...(req.body !== undefined ? { body: req.body } : {}) });
    const res = await fetchOverStream(streamPort(port), request);
    status = res.status;
    headers = Object.fromEntries(res.headers);
    const t0 = performance.now();
    const reader = res.body?.getReader();
    for (let c = await reader?.read(); c && !c.done; c = await reader!.read()) {
      pieces.push({ ms: performance.now() - t0, bytes: c.value.length });
      for (const b of c.value) body.push(b);
    }
    return { status, headers, body, pieces };
  } catch (e) {
    const err = e as Error;
    return { ...(status !== undefined ? { status, headers } : {}), body, pieces, error: { name: err.name, message: err.message } };
  }
}

const held = new Map<number, MessagePort>();
let heldSeq = 0;

/** Opens a connection and sends nothing on it yet; its handle for `sendOn`. */
async function hold(nodeName: string, id: string, port: number): Promise<number> {
  held.set(++heldSeq, await connect(nodeName, id, port));
  return heldSeq;
}

/** Sends a request on a connection `hold` opened. */
function sendOn(handle: number, req: HttpInput): Promise<HttpOutcome> {
  const port = held.get(handle);
  held.delete(handle);
  return exchange(port ? Promise.resolve(port) : Promise.reject(new Error(`no held connection ${handle}`)), req);
}

/** Several requests at once, connected in order (so they queue on the socket in that order). */
async function httpMany(nodeName: string, id: string, reqs: readonly HttpInput[]): Promise<HttpOutcome[]> {
  const all: Promise<HttpOutcome>[] = [];
  for (const r of reqs) await new Promise<void>((connected) => all.push(http(nodeName, id, r, connected).finally(connected)));
  return Promise.all(all);
}

/**
 * ms per GET of `path` (`n` one after another: median, and mean), and per postMessage round trip
 * to the node (mean of `n` in a row: one is below the page's 0.1 ms timer resolution).
 */
async function latency(
  nodeName: string,
  id: string,
  port: number,
  path: string,
  n: number,
): Promise<{ httpMedian: number; httpMean: number; postMessage: number }> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const r = await http(nodeName, id, { port, path });
    if (r.error) throw new Error(`${r.error.name}: ${r.error.message}`);
    times.push(performance.now() - t);
  }
  const node = nodes.get(nodeName)!.api;
  const t = performance.now();
  for (let i = 0; i < n; i++) await node.ping();
  const postMessage = (performance.now() - t) / n;
  const sorted = [...times].sort((a, b) => a - b);
  return { httpMedian: sorted[n >> 1]!, httpMean: times.reduce((a, b) => a + b, 0) / n, postMessage };
}

/** Waits until the node's DirectRuns holds a reservation, then turns JSPI off on the node (which drops it). */
async function dropReservation(nodeName: string): Promise<void> {
  const n = nodes.get(nodeName)!;
  const until = performance.now() + 5_000;
  while (!n.reserved) {
    if (performance.now() > until) throw new Error(`node ${nodeName}: no reservation after 5 s`);
    await new Promise((r) => setTimeout(r, 5));
  }
  await n.api.configure({ jspi: false });
}

/**
 * A direct run in the order DirectRuns leaves to chance, on a node started with `direct: false`:
 * the run over the reserved port, its exit heard there, and only then the claim.
 */
async function runBeforeClaim(nodeName: string, image: string, s: SpecInput): Promise<{ stdout: string; code: number; claimed: boolean; workerRuns?: number }> {
  const n = nodes.get(nodeName)!;
  const sp = await spec(image, s);
  const answer = await n.api.reserve(Comlink.proxy(() => undefined));
  if (typeof answer === 'string') throw new Error(`node ${nodeName}: reservation ${answer}`);
  let stdout = '';
  const exit = new Promise<ProcessEvent & { type: 'exit' }>((res) => {
    answer.onmessage = (m: MessageEvent<ProcessEvent>) => {
      const e = m.data;
      if (e.type === 'stdout') stdout += decoder.decode(e.data);
      else if (e.type === 'exit') res(e);
      if (e.type === 'stdout' || e.type === 'stderr') answer.postMessage({ t: 'taken', bytes: e.data.length, messages: 1 } satisfies DirectRequest);
    };
  });
  answer.postMessage({ t: 'run', spec: sp } satisfies DirectRequest);
  const { code } = await exit;
  const claimed = await n.api.claim(sp);
  const stats = await n.api.stats(sp.processId);
  return { stdout, code, claimed, ...(stats ? { workerRuns: stats.workerRuns } : {}) };
}

const N = {
  startNode,
  stopNode,
  forget,
  start,
  write,
  waitFor,
  kill,
  result,
  run,
  scope,
  http,
  httpMany,
  hold,
  sendOn,
  latency,
  createNetwork,
  setRecords,
  networkStats,
  x86Start,
  x86WaitFor,
  x86Result,
  dropReservation,
  runBeforeClaim,
};
(window as unknown as { N: typeof N }).N = N;
export type NodeHarness = typeof N;

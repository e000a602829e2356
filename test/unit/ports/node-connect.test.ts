// NodeManager.connect against the fake node agent: a stream to a process's listening port that
// HTTP runs over, and Docker's refusal when nothing listens there.
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionRefusedError } from '../../../core/errors.ts';
import type { ProcessEvent, ProcessSpec } from '../../../core/protocol.ts';
import { streamPort } from '../../../core/stream-port.ts';
import { EventBus } from '../../../engine/events.ts';
import { NodeManager } from '../../../engine/nodes/node-manager.ts';
import { fetchOverStream } from '../../../engine/ports/http-over-stream.ts';
import { fakeNodes } from '../../support/fake-node.ts';

const spec = (listenPorts: number[]): ProcessSpec => ({
  processId: 'p1',
  containerId: 'c1',
  dbName: 'unused',
  chainIds: [],
  mounts: [],
  argv: ['/bin/tools.wasm', 'spin'],
  env: [],
  cwd: '/',
  uid: 0,
  gid: 0,
  hostname: 'web',
  tty: false,
  openStdin: false,
  memoryLimit: 0,
  network: { interfaces: [], hosts: '', resolvConf: '', listenPorts },
});

let manager: NodeManager | undefined;
afterEach(() => manager?.close());

async function running(listenPorts: number[]): Promise<NodeManager> {
  manager = new NodeManager(new EventBus(), fakeNodes().factory);
  const node = manager.add({ name: 'n1' }).Name;
  const started = new Promise<void>((r) => manager!.spawn(node, spec(listenPorts), (e: ProcessEvent) => e.type === 'started' && r()));
  await started;
  return manager;
}

describe('NodeManager.connect', () => {
  it('opens a stream to the listening port that HTTP runs over', async () => {
    const m = await running([80]);
    const port = await m.connect('n1', 'p1', 80);
    const res = await fetchOverStream(streamPort(port), new Request('http://web/'));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('hello from web:80\n');
  });

  it('refuses a port nobody listens on, and a process that does not run', async () => {
    const m = await running([80]);
    const refused = await m.connect('n1', 'p1', 81).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConnectionRefusedError);
    expect((refused as Error).message).toBe('dial tcp web:81: connect: connection refused');
    expect((refused as ConnectionRefusedError).status).toBe(502);
    await expect(m.connect('n1', 'nope', 80)).rejects.toBeInstanceOf(ConnectionRefusedError);
  });
});

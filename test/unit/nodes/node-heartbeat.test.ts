// NodeManager's heartbeat over fake nodes: a node that answers stays ready, one that stops
// answering (hung) is marked down (a ping every second, down after 3 s of silence), and its
// processes end with 137.
import { expect, it } from 'vitest';
import { EventBus } from '../../../engine/events.ts';
import { NodeManager } from '../../../engine/nodes/node-manager.ts';
import { until } from '../../support/cli-helpers.ts';
import { fakeNodes } from '../../support/fake-node.ts';

it('finds a hung node within 4 s, and keeps one that answers', async () => {
  const { factory, cluster } = fakeNodes();
  const nodes = new NodeManager(new EventBus(), factory);
  nodes.add({ name: 'n1' });
  await new Promise((r) => setTimeout(r, 3500));
  expect(nodes.inspect('n1').State).toBe('ready');
  const exits: number[] = [];
  await nodes.spawn(
    'n1',
    {
      processId: 'p',
      containerId: 'p',
      dbName: '',
      chainIds: [],
      mounts: [],
      argv: ['/x', 'spin'],
      env: [],
      cwd: '/',
      uid: 0,
      gid: 0,
      hostname: 'h',
      tty: false,
      openStdin: false,
      memoryLimit: 0,
    },
    (e) => e.type === 'exit' && exits.push(e.code),
  );
  const hungAt = performance.now();
  cluster.hung = true;
  await until(() => nodes.inspect('n1').State === 'down', 8000);
  const ms = performance.now() - hungAt;
  console.log(`a hung node found down ${ms.toFixed(0)} ms after it stopped answering`);
  // 3–4 s by design; the margin is for timers that run late on a loaded machine.
  expect(ms).toBeGreaterThanOrEqual(2900);
  expect(ms).toBeLessThan(5000);
  expect(exits).toEqual([137]);
  nodes.close();
}, 15_000);

// Engine.open({ x86KitUrl }): an embedding page that serves the guest kit somewhere other than
// /guest/ on its origin tells the engine, and every node, those started later too, is told.
import 'fake-indexeddb/auto';
import { afterEach, expect, it } from 'vitest';
import { Engine } from '../../../engine/engine.ts';
import { until } from '../../support/cli-helpers.ts';
import { fakeNodes } from '../../support/fake-node.ts';

let engine: Engine | undefined;
afterEach(() => engine?.close());

it('tells every node where the guest kit is served, those added later too', async () => {
  const { factory, cluster } = fakeNodes();
  engine = await Engine.open({
    dbName: `kit-url-${process.pid}`,
    nodes: 2,
    nodeFactory: factory,
    fabric: null,
    x86KitUrl: 'https://docs.example/sandbox/guest/',
  });
  engine.nodes.add();
  await until(() => cluster.configured.length === 3);
  expect(cluster.configured).toEqual(Array(3).fill({ x86KitUrl: 'https://docs.example/sandbox/guest/' }));
});

// An engine over fake-indexeddb with fake nodes, a fake fabric and test/tools loaded as a
// linux/386 image: x86 guests are the containers that get NICs (a WASI program gets sockets).
import 'fake-indexeddb/auto';
import { Engine } from '../../../engine/engine.ts';
import { type FakeCluster, fakeNodes } from '../../support/fake-node.ts';
import { loadToolsImage } from '../../support/tools-image.ts';
import { FakeFabric } from './fake-fabric.ts';

let count = 0;

export async function networkEngine(withFabric = true): Promise<{ engine: Engine; fabric: FakeFabric; cluster: FakeCluster }> {
  const { factory, cluster } = fakeNodes();
  const fabric = new FakeFabric();
  const dbName = `net-test-${process.pid}-${++count}`;
  const engine = await Engine.open({ dbName, nodes: 1, nodeFactory: factory, ...(withFabric ? { fabric } : {}) });
  await loadToolsImage(engine, undefined, { os: 'linux', architecture: '386' });
  return { engine, fabric, cluster };
}

/** Resolves once `test` holds (polled). */
export async function until(test: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

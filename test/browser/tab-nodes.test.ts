// Nodes in other tabs (engine/nodes/tab-nodes.ts) in real Chromium: a second tab of the demo's
// origin opens demo/node.html and joins the demo's engine as a node; what the engine places there
// runs in that tab's Workers; closing the tab is a node failure, and a service's tasks start again
// on the nodes that are left. The engine's tab reloading does not lose the node: it joins again.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type BrowserSession, launchChromium } from '../support/chromium.ts';

const registry = inject('registry');
const baseUrl = inject('baseUrl');
const tools = `${registry}/fixtures/wasi-tools:latest`;
const DB = 'tab-nodes';
let s: BrowserSession;

const docker = async (cmd: string) => {
  const r = await s.page.evaluate((c) => window.docker(c), cmd);
  if (r.code !== 0) throw new Error(`${cmd}: ${r.stderr}`);
  return r.stdout;
};
const openEngine = async () => {
  await s.page.goto(`${baseUrl}/demo/index.html?db=${DB}&noproxy`);
  await s.page.evaluate(() => window.engineReady);
};
const nodes = async () => (await docker('docker node ls --format "{{.Hostname}} {{.Status}} {{.Availability}}"')).trim().split('\n').sort();
/** Running tasks of `service` per node, `node-1:2`. */
const spread = (service: string) =>
  s.page.evaluate((service) => {
    const per: Record<string, number> = {};
    for (const t of window.engine.services.tasks(service)) if (t.container.State.Running) per[t.container.Node] = (per[t.container.Node] ?? 0) + 1;
    return Object.keys(per)
      .sort()
      .map((n) => `${n}:${per[n]}`)
      .join(' ');
  }, service);

beforeAll(async () => {
  s = await launchChromium();
  await openEngine();
  await docker(`docker pull -q ${tools}`);
});
afterAll(() => s?.close());

describe('nodes in other tabs', () => {
  it('joins from another tab, runs what is placed there, and closing the tab is a node failure that services recover from', async () => {
    const tab = await s.context.newPage();
    await tab.goto(`${baseUrl}/demo/node.html?db=${DB}`);
    const name = await tab.evaluate(() => window.nodeReady);
    expect(name).toMatch(/^tab-[0-9a-f]{6}$/);
    await expect.poll(() => tab.evaluate(() => window.nodeState()), { timeout: 15_000 }).toBe('joined');
    expect(await nodes()).toEqual(['node-1 Ready Active', 'node-2 Ready Active', `${name} Ready Active`]);
    // The node's Worker is the tab's, not the engine's.
    expect(tab.workers().map((w) => w.url())).toEqual(expect.arrayContaining([expect.stringContaining('node-agent')]));

    // With this tab's node the only one active, what the engine places runs there.
    await docker('docker node update --availability drain node-1');
    await docker('docker node update --availability drain node-2');
    expect(await docker(`docker run --rm ${tools} echo from-the-tab`)).toBe('from-the-tab\n');
    await docker(`docker service create --name web --replicas 2 --restart-delay 100ms --stop-grace-period 1s ${tools} spin`);
    expect(await spread('web')).toBe(`${name}:2`);
    await docker(`docker service create --name pinned --replicas 1 --constraint node.name==${name} --restart-delay 100ms ${tools} spin`);

    // The engine's tab reloads: the node goes without pings, starts afresh (ending what it ran for
    // the engine that is gone) and offers itself again; the pinned service's task runs there again.
    await openEngine();
    await expect.poll(() => tab.evaluate(() => window.nodeState()), { timeout: 20_000 }).toBe('joined');
    await expect.poll(() => spread('pinned'), { timeout: 20_000 }).toBe(`${name}:1`);

    // Closing the tab is a node failure: `web` starts again on the node that is active (the
    // reloaded engine's own nodes started active).
    await docker('docker node update --availability drain node-2');
    await tab.close();
    await expect.poll(nodes, { timeout: 15_000 }).toEqual(['node-1 Ready Active', 'node-2 Ready Drain', `${name} Down Active`]);
    await expect.poll(() => spread('web'), { timeout: 30_000 }).toBe('node-1:2');
    expect(await spread('pinned')).toBe('');
    expect(await docker('docker service ps pinned --format "{{.Node}} {{.CurrentState}}"')).toContain(`${name} Failed`);
    await docker('docker service rm web pinned');
  }, 120_000);

  it('ends the tab’s node when the engine removes it', async () => {
    const tab = await s.context.newPage();
    await tab.goto(`${baseUrl}/demo/node.html?db=${DB}`);
    const name = await tab.evaluate(() => window.nodeReady);
    await expect.poll(() => tab.evaluate(() => window.nodeState()), { timeout: 15_000 }).toBe('joined');
    await docker(`docker node rm --force ${name}`);
    await expect.poll(() => tab.evaluate(() => window.nodeState()), { timeout: 15_000 }).toBe('ended');
    expect(await tab.locator('#status').textContent()).toBe(`node ${name}: removed by the engine; reload this tab to join again`);
    expect((await nodes()).filter((n) => n.startsWith(`${name} `))).toEqual([]);
    await tab.close();
  }, 60_000);
});

// Services in the demo page over real node Workers: replicas spread over the nodes, failover
// after a node crash (timed), drain, scale, a reload that keeps the service, and rm; a task that
// turns unhealthy is failed and replaced.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type BrowserSession, launchChromium } from '../support/chromium.ts';

const registry = inject('registry');
const baseUrl = inject('baseUrl');
const tools = `${registry}/fixtures/wasi-tools:latest`;
let s: BrowserSession;

const docker = (cmd: string) => s.page.evaluate((c) => window.docker(c), cmd);
const open = async () => {
  await s.page.goto(`${baseUrl}/demo/index.html?db=services&noproxy`);
  await s.page.evaluate(() => window.engineReady);
};
/** Running tasks of `web` per node, `node-1:2 node-3:1`. */
const spread = () =>
  s.page.evaluate(() => {
    const per: Record<string, number> = {};
    for (const t of window.engine.services.tasks('web')) if (t.container.State.Running) per[t.container.Node] = (per[t.container.Node] ?? 0) + 1;
    return Object.keys(per)
      .sort()
      .map((n) => `${n}:${per[n]}`)
      .join(' ');
  });
const replicas = async () => (await docker('docker service ls --filter name=web --format "{{.Replicas}}"')).stdout.trim();

beforeAll(async () => {
  s = await launchChromium();
  await open();
  expect((await docker(`docker pull -q ${tools}`)).code).toBe(0);
});
afterAll(() => s?.close());

describe('services over node Workers', () => {
  it('spreads replicas, reschedules them when a node crashes, drains, scales, survives a reload', async () => {
    if (!(await docker('docker node ls -q')).stdout.trim().split('\n')[2]) expect((await docker('docker node create')).code).toBe(0);
    const created = await docker(`docker service create --name web --replicas 3 --restart-delay 100ms --stop-grace-period 1s ${tools} spin`);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('verify: Service web converged');
    expect(await spread()).toBe('node-1:1 node-2:1 node-3:1');

    // Timed in the page: `crash` marks the node down at once, so this is from detection.
    const ms = await s.page.evaluate(async () => {
      const e = window.engine;
      const start = performance.now();
      e.nodes.crash('node-2');
      const back = () => e.services.converged('web') && e.services.tasks('web').every((t) => !t.container.State.Running || t.container.Node !== 'node-2');
      while (!back()) await new Promise((r) => setTimeout(r, 2));
      return performance.now() - start;
    });
    console.log(`failover: 3 replicas running again ${ms.toFixed(0)} ms after node-2 was marked down`);
    expect(ms).toBeLessThan(1500);
    expect(await spread()).toMatch(/^node-1:[12] node-3:[12]$/);
    expect((await docker('docker service ps web --format "{{.Node}} {{.CurrentState}}"')).stdout).toContain('node-2 Failed');

    expect((await docker('docker node update --availability drain node-3')).code).toBe(0);
    await expect.poll(spread, { timeout: 10_000 }).toBe('node-1:3');
    expect((await docker('docker node update --availability active node-3')).code).toBe(0);
    const scaled = await docker('docker service scale web=4');
    expect(scaled.code, scaled.stderr).toBe(0);
    expect(await spread()).toBe('node-1:3 node-3:1');

    // After a reload the demo has its two fresh nodes; the stored service comes back on them.
    await s.page.reload();
    await s.page.evaluate(() => window.engineReady);
    await expect.poll(replicas, { timeout: 15_000 }).toBe('4/4');
    expect(await spread()).toBe('node-1:2 node-2:2');

    expect(await docker('docker service rm web')).toEqual({ code: 0, stdout: 'web\n', stderr: '' });
    expect((await docker('docker ps -aq --filter label=com.docker.swarm.service.name=web')).stdout).toBe('');
  });

  it('fails a task whose healthcheck turns unhealthy and replaces it', async () => {
    const created = await docker(
      'docker service create --name sick --restart-delay 100ms --stop-grace-period 1s ' +
        '--health-cmd "test -f /tmp/ok" --health-interval 300ms --health-retries 1 --health-start-period 30s busybox sh -c "touch /tmp/ok; sleep 3600"',
    );
    expect(created.code, created.stderr).toBe(0);
    const first = (await docker('docker ps -q --no-trunc --filter label=com.docker.swarm.service.name=sick')).stdout.trim();
    await expect.poll(async () => (await docker(`docker inspect -f "{{.State.Health.Status}}" ${first}`)).stdout.trim(), { timeout: 20_000 }).toBe('healthy');
    expect((await docker(`docker exec ${first} rm /tmp/ok`)).code).toBe(0);
    const states = () => docker('docker service ps sick --no-trunc --format "{{.CurrentState}}|{{.Error}}"').then((r) => r.stdout.split('\n').filter(Boolean));
    await expect
      .poll(states, { timeout: 30_000 })
      .toEqual([expect.stringMatching(/^Running /), expect.stringMatching(/^Failed .*\|"task: non-zero exit \(137\): dockerexec: unhealthy container"$/)]);
    expect((await docker('docker service rm sick')).code).toBe(0);
  }, 120_000);
});

// Load balancing of a service in the demo page, with real node Workers and the network Worker:
// three x86 busybox httpd replicas, each serving its own hostname, behind the service's virtual IP.
// A client container's requests to http://web/ spread over all three; so do a ports-origin tab's
// requests to the published port (the routing mesh); a replica whose healthcheck fails (Swarm
// fails that task), then one that is killed, stop getting requests.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type BrowserSession, launchChromium } from '../support/chromium.ts';

const baseUrl = inject('baseUrl');
let s: BrowserSession;

const docker = (cmd: string) => s.page.evaluate((c) => window.docker(c), cmd);
const SERVE = 'mkdir -p /srv && hostname > /srv/index.html && touch /srv/ok && httpd -f -p 80 -h /srv';

/** Each running task's hostname → its container ID, and how many are healthy. */
const replicas = () =>
  s.page.evaluate(() =>
    window.engine.services
      .tasks('web')
      .filter((t) => t.container.State.Running)
      .map((t) => ({ id: t.container.Id, hostname: t.container.Config.Hostname, health: t.container.State.Health?.Status })),
  );

/** How many of `answers` each hostname gave. */
function counts(answers: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of answers) out[a] = (out[a] ?? 0) + 1;
  return out;
}

/** `n` requests to http://web/ from a client container on the network, one connection each. */
async function byName(n: number): Promise<string[]> {
  const r = await docker(`docker run --rm --network app busybox sh -c 'for i in $(seq ${n}); do wget -Y off -qO- http://web/; done'`);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout.trim().split('\n');
}

beforeAll(async () => {
  s = await launchChromium();
  await s.page.goto(`${baseUrl}/demo/index.html?db=service-balance&noproxy`);
  await s.page.evaluate(() => window.engineReady);
  expect((await docker('docker network create app')).code).toBe(0);
  // The start period: a replica probed before its shell made /srv/ok would be failed, as Swarm does.
  const created = await docker(
    `docker service create --name web --replicas 3 --network app -p 8080:80 --restart-delay 60s --stop-grace-period 1s ` +
      `--health-cmd "test -f /srv/ok" --health-interval 500ms --health-retries 1 --health-start-period 60s busybox sh -c "${SERVE}"`,
  );
  expect(created.code, created.stderr).toBe(0);
  // Healthy after the first probe (the service's create waited for them to run).
  const deadline = Date.now() + 30_000;
  while ((await replicas()).filter((r) => r.health === 'healthy').length < 3) {
    if (Date.now() > deadline) throw new Error(`replicas not all healthy: ${JSON.stringify(await replicas())}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 60_000);
afterAll(() => s?.close());

describe('a service behind its virtual IP', () => {
  it('has a VIP on its network, which the name resolves to', async () => {
    const vip = (await docker('docker service inspect -f "{{(index .Endpoint.VirtualIPs 0).Addr}}" web')).stdout.trim();
    expect(vip).toMatch(/^172\.\d+\.0\.2\/16$/);
    expect((await docker('docker service ls --format "{{.Name}} {{.Ports}}"')).stdout).toBe('web *:8080->80/tcp\n');
    const looked = await docker('docker run --rm --network app busybox nslookup web');
    expect(looked.stdout).toContain(`Address: ${vip.split('/')[0]}`);
  }, 180_000);

  it('spreads requests by service name over every replica, round robin', async () => {
    const hosts = (await replicas()).map((r) => r.hostname).sort();
    const got = counts(await byName(30));
    console.log(`by name, 30 requests: ${JSON.stringify(got)}`);
    expect(Object.keys(got).sort()).toEqual(hosts);
    for (const h of hosts) expect(got[h]).toBe(10);
  }, 180_000);

  it('spreads requests to the published port over every replica (the routing mesh), from a ports-origin tab', async () => {
    const hosts = (await replicas()).map((r) => r.hostname).sort();
    const url = await s.page.evaluate(async () => {
      await window.portsReady;
      return window.engine.ports.url(8080);
    });
    const tab = await s.context.newPage();
    try {
      await tab.goto(url);
      const answers = await tab.evaluate(async () => {
        const out: string[] = [];
        for (let i = 0; i < 30; i++) out.push((await (await fetch('/', { cache: 'no-store' })).text()).trim());
        return out;
      });
      const got = counts(answers);
      console.log(`through the published port, 30 requests: ${JSON.stringify(got)}`);
      expect(Object.keys(got).sort()).toEqual(hosts);
      for (const h of hosts) expect(got[h]).toBeGreaterThanOrEqual(8);
    } finally {
      await tab.close();
    }
  }, 180_000);

  it('sends nothing to a replica whose healthcheck fails, nor to one that was killed', async () => {
    const [sick, dead, well] = await replicas();
    expect((await docker(`docker exec ${sick!.id} rm /srv/ok`)).code).toBe(0);
    // Swarm fails the unhealthy task (its replacement waits for the 60 s restart delay).
    await expect.poll(async () => (await replicas()).some((r) => r.id === sick!.id), { timeout: 10_000 }).toBe(false);
    expect((await docker(`docker inspect -f "{{.State.Health.Status}} {{.State.Error}}" ${sick!.id}`)).stdout.trim()).toBe(
      'unhealthy task: non-zero exit (137): dockerexec: unhealthy container',
    );
    const got = counts(await byName(12));
    expect(got).toEqual({ [dead!.hostname]: 6, [well!.hostname]: 6 });

    expect((await docker(`docker kill ${dead!.id}`)).code).toBe(0);
    expect(counts(await byName(6))).toEqual({ [well!.hostname]: 6 });
    const mesh = await s.page.evaluate(async () => (await (await window.engine.ports.fetch(8080, '/')).text()).trim());
    expect(mesh).toBe(well!.hostname);
  }, 180_000);
});

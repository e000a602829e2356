// bench/compose: `docker compose up -d --wait` of a 3-service app (a database-like service with a
// healthcheck, web with 3 replicas that waits for it to be healthy, a client) against the same
// containers started one by one with `docker run`, waiting for the health in between as a script
// would, measured in this one run. x86 busybox containers in the demo page, on real node Workers.
// Then failover: a service of 3 replicas over 3 nodes, from `engine.nodes.crash(node)` to all 3
// running again, against one plain `docker run -d` start.
// Run: npx tsx bench/compose.ts   (after set-up: `npm start` or `bash scripts/setup.sh --test`)
//   ROUNDS=3
import { openDemoPage } from './demo-page.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const progress = (s: string) => process.stderr.write(`[bench:compose] ${s}\n`);

const DB = 'mkdir -p /srv && echo ok > /srv/index.html && touch /tmp/ready && httpd -f -p 80 -h /srv';
const COMPOSE = `name: bench
services:
  db:
    image: busybox
    command: ["sh", "-c", "${DB}"]
    stop_grace_period: 1s
    healthcheck: { test: ["CMD-SHELL", "test -f /tmp/ready"], interval: 200ms, retries: 50 }
  web:
    image: busybox
    command: ["sh", "-c", "sleep 3600"]
    stop_grace_period: 1s
    deploy: { replicas: 3 }
    depends_on: { db: { condition: service_healthy } }
  client:
    image: busybox
    command: ["sh", "-c", "sleep 3600"]
    stop_grace_period: 1s
    depends_on: [web]
`;

const demo = await openDemoPage('bench-compose');
const { s, docker } = demo;
const timed = async (f: () => Promise<unknown>) => {
  const t = performance.now();
  await f();
  return performance.now() - t;
};

async function byCompose(): Promise<number> {
  const ms = await timed(() => docker('docker compose up -d --wait'));
  await docker('docker compose down -t 0');
  return ms;
}

async function oneByOne(): Promise<number> {
  const ms = await timed(async () => {
    await docker('docker network create bench_default');
    await docker(
      `docker run -d --name bench-db-1 --network bench_default --network-alias db --stop-timeout 1 --health-cmd "test -f /tmp/ready" --health-interval 200ms --health-retries 50 busybox sh -c "${DB}"`,
    );
    while ((await docker('docker inspect -f "{{.State.Health.Status}}" bench-db-1')).trim() !== 'healthy') await new Promise((r) => setTimeout(r, 50));
    for (const n of [1, 2, 3])
      await docker(`docker run -d --name bench-web-${n} --network bench_default --network-alias web --stop-timeout 1 busybox sh -c "sleep 3600"`);
    await docker('docker run -d --name bench-client-1 --network bench_default --network-alias client --stop-timeout 1 busybox sh -c "sleep 3600"');
  });
  await docker('docker rm -f bench-db-1 bench-web-1 bench-web-2 bench-web-3 bench-client-1');
  await docker('docker network rm bench_default');
  return ms;
}

/** One plain `docker run -d` of the container a replica runs: the failover's yardstick. */
async function plainStart(): Promise<number> {
  const ms = await timed(() => docker('docker run -d --name bench-one --stop-timeout 1 busybox sleep 3600'));
  await docker('docker rm -f bench-one');
  return ms;
}

/** A crash of one of 3 nodes, timed in the page from the crash to 3 replicas running again. */
async function failover(): Promise<number> {
  while ((await docker('docker node ls -q --filter status=ready')).trim().split('\n').length < 3) await docker('docker node create');
  await docker('docker service create -q --name bench-web --replicas 3 --stop-grace-period 1s busybox sleep 3600');
  const ms = await s.page.evaluate(async () => {
    const e = window.engine;
    const victim = e.services.tasks('bench-web')[0]!.container.Node;
    const start = performance.now();
    e.nodes.crash(victim);
    const back = () =>
      e.services.converged('bench-web') && e.services.tasks('bench-web').every((t) => !t.container.State.Running || t.container.Node !== victim);
    while (!back()) await new Promise((r) => setTimeout(r, 2));
    return performance.now() - start;
  });
  await docker('docker service rm bench-web');
  return ms;
}

try {
  await s.page.evaluate((t) => window.dockerFiles.set('compose.yaml', new TextEncoder().encode(t)), COMPOSE);
  // One of each first, so neither side pays for a cold node.
  await byCompose();
  await oneByOne();
  const compose: number[] = [];
  const manual: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    progress(`round ${i + 1}/${ROUNDS}`);
    compose.push(await byCompose());
    manual.push(await oneByOne());
  }
  const c = median(compose);
  const m = median(manual);
  console.log(`compose up of db (healthcheck) + web ×3 + client, to all running and healthy (median of ${ROUNDS}):`);
  console.log(`  docker compose up -d --wait   ${c.toFixed(0)} ms`);
  console.log(`  docker run one by one         ${m.toFixed(0)} ms`);
  console.log(`  ratio compose / one by one    ${(c / m).toFixed(2)}`);

  await plainStart();
  const starts: number[] = [];
  const failovers: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    progress(`failover round ${i + 1}/${ROUNDS}`);
    starts.push(await plainStart());
    failovers.push(await failover());
  }
  const f = median(failovers);
  const one = median(starts);
  console.log(`failover of a 3-replica service when 1 of 3 nodes crashes (median of ${ROUNDS}):`);
  console.log(`  crash → 3 replicas running    ${f.toFixed(0)} ms`);
  console.log(`  one docker run -d             ${one.toFixed(0)} ms`);
  console.log(`  ratio failover / one start    ${(f / one).toFixed(2)}`);
} finally {
  await demo.close();
}

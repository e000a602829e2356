// bench/service-balance: the spread of 900 requests over the 3 replicas of a service, through its
// published port (the routing mesh: engine.ports.fetch → the network Worker's balancer on the
// service's VIP → a replica), one connection per request. The replicas are the WASI HTTP server
// (fixtures/wasi-server), each counting what it served in its log ("served GET /"); they run on
// the demo's nodes, on real Workers. Goal: each replica within ±10% of 300.
// Run: npx tsx bench/service-balance.ts   (after `npm test` set-up)   REQUESTS=900
import { openDemoPage } from './demo-page.ts';

const N = Number(process.env.REQUESTS ?? 900);
const REPLICAS = 3;
const progress = (s: string) => process.stderr.write(`[bench:service-balance] ${s}\n`);

const demo = await openDemoPage('bench-service-balance', { registry: true });
const { s, docker } = demo;
try {
  const image = `${demo.registryHost}/fixtures/wasi-server:latest`;
  await docker(`docker pull -q ${image}`);
  await docker('docker network create lb');
  progress(`a service of ${REPLICAS} WASI HTTP servers, -p 8080:8080`);
  await docker(`docker service create -q --name lb --replicas ${REPLICAS} --network lb -p 8080:8080 ${image}`);
  const ms = await s.page.evaluate(async (n) => {
    // The servers listen a moment after their tasks run.
    for (;;) {
      const r = await window.engine.ports.fetch(8080, '/warm').catch(() => undefined);
      if (r) {
        await r.arrayBuffer();
        break;
      }
      await new Promise((w) => setTimeout(w, 50));
    }
    const t = performance.now();
    for (let i = 0; i < n; i++) {
      const r = await window.engine.ports.fetch(8080, '/');
      if (r.status !== 200) throw new Error(`request ${i}: ${r.status}`);
      await r.arrayBuffer();
    }
    return performance.now() - t;
  }, N);
  const ids = (await docker('docker ps -q --filter label=com.docker.swarm.service.name=lb')).trim().split('\n');
  const counts: number[] = [];
  for (const id of ids) {
    // A replica's log line is written after its response: wait for the last ones to land.
    let served = 0;
    for (let tries = 0; tries < 50; tries++) {
      served = (await docker(`docker logs ${id}`)).split('\n').filter((l) => l === 'served GET /').length;
      if (counts.reduce((a, b) => a + b, 0) + served >= N || tries === 49) break;
      await new Promise((w) => setTimeout(w, 100));
    }
    counts.push(served);
  }
  const fair = N / REPLICAS;
  const deviation = Math.max(...counts.map((c) => Math.abs(c - fair) / fair));
  console.log(`${N} requests through the published port of a ${REPLICAS}-replica service (round robin per connection):`);
  console.log(`  per replica                  ${counts.join(' / ')}   (fair share ${fair})`);
  console.log(`  max deviation                ${(deviation * 100).toFixed(1)}%   (goal ≤ 10%)`);
  console.log(`  time                         ${ms.toFixed(0)} ms, ${(ms / N).toFixed(2)} ms a request`);
  await docker('docker service rm lb');
} finally {
  await demo.close();
}

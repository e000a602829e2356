// `docker compose` in the demo page, with x86 busybox containers on real node Workers and the
// network Worker: a healthcheck-gated start order, a one-shot service that must succeed, service
// names on the project's network, scaling, recreation of what changed only, down with volumes,
// and the errors of a bad file.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type BrowserSession, launchChromium } from '../support/chromium.ts';

const baseUrl = inject('baseUrl');
let s: BrowserSession;

const docker = (cmd: string) => s.page.evaluate((c) => window.docker(c), cmd);
const writeFile = (path: string, text: string) => s.page.evaluate(([p, t]) => window.dockerFiles.set(p!, new TextEncoder().encode(t)), [path, text]);

const shop = (webCommand: string) => `
name: shop
services:
  db:
    image: busybox
    command: ["sh", "-c", "mkdir -p /srv && echo \${GREETING:-hello}-from-db > /srv/index.html && sleep 1 && touch /tmp/ready && httpd -f -p 80 -h /srv"]
    healthcheck:
      test: ["CMD-SHELL", "test -f /tmp/ready"]
      interval: 500ms
      retries: 20
    stop_grace_period: 1s
    volumes:
      - data:/data
  migrate:
    image: busybox
    command: sh -c 'echo migrated > /data/state'
    volumes: [data:/data]
    depends_on:
      db:
        condition: service_healthy
  web:
    image: busybox
    command: ${webCommand}
    # sh as PID 1 ignores SIGTERM, so a stop waits out the grace period, as on Docker.
    stop_grace_period: 1s
    depends_on:
      db: { condition: service_healthy }
      migrate: { condition: service_completed_successfully }
volumes:
  data: {}
`;

const ids = async () => {
  const r = await docker('docker ps -a --filter label=com.docker.compose.project=shop --format "{{.Names}} {{.ID}}"');
  return Object.fromEntries(
    r.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ')),
  );
};

beforeAll(async () => {
  s = await launchChromium();
  await s.page.goto(`${baseUrl}/demo/index.html?db=compose&noproxy`);
  await s.page.evaluate(() => window.engineReady);
});
afterAll(() => s?.close());

describe('docker compose', () => {
  it('starts services in dependency order, waiting for health and for a one-shot to succeed', async () => {
    await writeFile('.env', 'GREETING=hi\n');
    await writeFile('compose.yaml', shop(`["sh", "-c", "sleep 3600"]`));
    const up = await docker('docker compose up -d');
    expect(up.code, up.stderr).toBe(0);
    const lines = up.stderr.split('\n');
    const at = (l: string) => {
      const i = lines.indexOf(l);
      expect(i, `${l} in\n${up.stderr}`).toBeGreaterThanOrEqual(0);
      return i;
    };
    expect(at(' Network shop_default  Created')).toBeLessThan(at(' Container shop-db-1  Started'));
    expect(at(' Volume "shop_data"  Created')).toBeLessThan(at(' Container shop-db-1  Started'));
    expect(at(' Container shop-db-1  Healthy')).toBeLessThan(at(' Container shop-migrate-1  Started'));
    expect(at(' Container shop-migrate-1  Exited')).toBeLessThan(at(' Container shop-web-1  Started'));

    const ps = await docker('docker compose ps');
    expect(ps.code).toBe(0);
    expect(ps.stdout.split('\n')[0]).toMatch(/^NAME +IMAGE +COMMAND +SERVICE +CREATED +STATUS +PORTS$/);
    expect(ps.stdout).toMatch(/shop-db-1 +busybox .* db +.* Up .*\(healthy\)/);
    expect(ps.stdout).toMatch(/shop-web-1 +busybox .* web /);
    expect(ps.stdout).not.toContain('shop-migrate-1');
    expect((await docker('docker compose ps -a --services')).stdout).toBe('db\nmigrate\nweb\n');
    // A one-off: its output and status, then gone.
    expect(await docker('docker compose run --rm --no-deps web sh -c "echo one-off; exit 3"')).toMatchObject({ code: 3, stdout: 'one-off\n' });

    // The .env value reached the db, and web reaches it by its service name on shop_default.
    const got = await docker('docker compose exec web wget -Y off -qO- http://db/');
    expect(got.stdout).toBe('hi-from-db\n');
    // The one-shot wrote the project's named volume (db, running since before, keeps its view).
    expect((await docker('docker run --rm -v shop_data:/data busybox cat /data/state')).stdout).toBe('migrated\n');
    const labels = await docker(
      'docker inspect -f "{{index .Config.Labels \\"com.docker.compose.service\\"}} {{index .Config.Labels \\"com.docker.compose.container-number\\"}}" shop-web-1',
    );
    expect(labels.stdout).toBe('web 1\n');
    expect((await docker('docker compose ls')).stdout).toMatch(/^NAME +STATUS +CONFIG FILES\nshop +exited\(1\), running\(2\) +\/project\/compose\.yaml\n$/);
  });

  it('leaves unchanged services alone, scales, and recreates only what changed', async () => {
    const before = await ids();
    const scaled = await docker('docker compose up -d --scale web=3');
    expect(scaled.code, scaled.stderr).toBe(0);
    expect(scaled.stderr).toContain(' Container shop-db-1  Running');
    const after = await ids();
    expect(after['shop-db-1']).toBe(before['shop-db-1']);
    expect(after['shop-web-1']).toBe(before['shop-web-1']);
    expect(Object.keys(after).sort()).toEqual(['shop-db-1', 'shop-migrate-1', 'shop-web-1', 'shop-web-2', 'shop-web-3']);
    // Every replica answers to the service name.
    const names = await docker('docker compose exec db nslookup web');
    expect(names.stdout.match(/Address: 172\./g)?.length).toBe(3);

    await writeFile('compose.yaml', shop(`["sh", "-c", "echo v2 > /tmp/v && sleep 3600"]`));
    const changed = await docker('docker compose up -d --scale web=2');
    expect(changed.code, changed.stderr).toBe(0);
    const now = await ids();
    expect(now['shop-db-1']).toBe(before['shop-db-1']);
    expect(now['shop-web-1']).not.toBe(before['shop-web-1']);
    expect(now['shop-web-3']).toBeUndefined();
    expect(changed.stderr).toContain(' Container shop-web-1  Recreated');
    // The new command writes the file a moment after the container starts.
    await expect.poll(async () => (await docker('docker compose exec --index 2 web cat /tmp/v')).stdout, { timeout: 15_000 }).toBe('v2\n');
  });

  it('prints the normalised model, valid for a real Compose', async () => {
    const r = await docker('docker compose config');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^name: shop\nservices:\n {2}db:\n/);
    expect(r.stdout).toContain('condition: service_healthy');
    expect(r.stdout).toContain('hi-from-db');
  });

  it('down removes containers and the network, and with -v the volumes', async () => {
    const down = await docker('docker compose down -v -t 1');
    expect(down.code, down.stderr).toBe(0);
    expect(await ids()).toEqual({});
    expect((await docker('docker network ls --format "{{.Name}}"')).stdout).not.toContain('shop_default');
    expect((await docker('docker volume ls -q')).stdout).not.toContain('shop_data');
    expect((await docker('docker compose ls -a')).stdout).not.toContain('shop');
  });

  it('refuses a bad file with the file, the key and the line, and a missing required variable', async () => {
    await writeFile('bad.yaml', 'services:\n  web:\n    imagee: busybox\n');
    const schema = await docker('docker compose -f bad.yaml config');
    expect(schema.code).toBe(1);
    expect(schema.stderr).toMatch(/bad\.yaml.*services\.web.*imagee.*line 3/);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a compose file's interpolation, not a template.
    await writeFile('need.yaml', 'services:\n  web:\n    image: ${IMAGE:?set IMAGE first}\n');
    const missing = await docker('docker compose -f need.yaml -p need up -d');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('required variable IMAGE is missing a value: set IMAGE first');
    await writeFile('cycle.yaml', 'services:\n  a: { image: busybox, depends_on: [b] }\n  b: { image: busybox, depends_on: [a] }\n');
    const cycle = await docker('docker compose -f cycle.yaml -p cyc up -d');
    expect(cycle.code).toBe(1);
    expect(cycle.stderr).toContain('dependency cycle detected');
  });

  it('fails `up` when a dependency turns unhealthy, without starting what depends on it', async () => {
    await writeFile(
      'sick.yaml',
      [
        'services:',
        '  db:',
        '    image: busybox',
        '    command: sleep 3600',
        '    healthcheck: { test: "false", interval: 300ms, retries: 2 }',
        '  web:',
        '    image: busybox',
        '    command: sleep 3600',
        '    depends_on: { db: { condition: service_healthy } }',
        '',
      ].join('\n'),
    );
    const up = await docker('docker compose -f sick.yaml -p sick up -d');
    expect(up.code).toBe(1);
    expect(up.stderr).toContain('dependency failed to start: container sick-db-1 is unhealthy');
    // Created, as Compose creates every container first, and never started.
    expect((await docker('docker ps -a --filter name=sick-web-1 --format "{{.State}}"')).stdout).toBe('created\n');
    expect((await docker('docker compose -p sick down -t 0')).code).toBe(0);
  });
});

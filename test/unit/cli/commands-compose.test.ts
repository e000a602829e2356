// `docker compose` over a real Engine (fake-indexeddb) whose nodes are fakes that interpret argv
// (fake-node.ts): the order conditions impose, names and labels, idempotent `up`, scale,
// recreation, down, and the CLI's errors. The browser test runs the same over real Workers.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VirtualFiles } from '../../../cli/virtual-files.ts';
import type { Engine } from '../../../engine/engine.ts';
import { containerEngine, dockerCommand, streamingDocker, until } from '../../support/cli-helpers.ts';

let engine: Engine;
let files: VirtualFiles;
const docker = (line: string) => dockerCommand(engine, line, files);
const write = (path: string, text: string) => files.set(path, new TextEncoder().encode(text));

const APP = `
name: app
services:
  db:
    image: test/tools
    command: spin
    healthcheck:
      test: ["CMD", "tools.wasm", "exit", "0"]
      interval: 50ms
  once:
    image: test/tools
    command: exit 0
  web:
    image: test/tools
    command: \${WEB_CMD:-spin}
    environment:
      MODE: \${MODE:-dev}
    depends_on:
      db: { condition: service_healthy }
      once: { condition: service_completed_successfully }
    volumes: [cache:/cache]
volumes:
  cache: {}
`;

const state = async () => {
  const r = await docker('docker ps -a --format "{{.Names}} {{.ID}} {{.State}}"');
  return Object.fromEntries(
    r.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [n, id, st] = l.split(' ');
        return [n!, { id: id!, state: st! }];
      }),
  );
};

beforeEach(async () => {
  ({ engine, files } = await containerEngine());
});
afterEach(async () => {
  await new Promise((r) => setTimeout(r, 60));
  engine.close();
});

describe('docker compose up', () => {
  it('creates the network, volume and containers with Compose’s names, in dependency order', async () => {
    write('compose.yaml', APP);
    const up = await docker('docker compose up -d');
    expect(up.code, up.stderr).toBe(0);
    const lines = up.stderr.split('\n');
    expect(lines.slice(0, 2)).toEqual([' Network app_default  Creating', ' Network app_default  Created']);
    const i = (l: string) => lines.indexOf(l);
    expect(i(' Volume "app_cache"  Created')).toBeGreaterThan(0);
    expect(i(' Container app-db-1  Healthy')).toBeGreaterThan(i(' Container app-db-1  Started'));
    expect(i(' Container app-once-1  Exited')).toBeGreaterThan(i(' Container app-once-1  Started'));
    expect(i(' Container app-web-1  Starting')).toBeGreaterThan(i(' Container app-db-1  Healthy'));
    expect(i(' Container app-web-1  Starting')).toBeGreaterThan(i(' Container app-once-1  Exited'));
    const st = await state();
    expect(st['app-db-1']?.state).toBe('running');
    expect(st['app-web-1']?.state).toBe('running');
    expect(st['app-once-1']?.state).toBe('exited');
    const web = engine.containers.inspect('app-web-1');
    expect(web.Config.Labels).toMatchObject({
      'com.docker.compose.project': 'app',
      'com.docker.compose.service': 'web',
      'com.docker.compose.container-number': '1',
      'com.docker.compose.oneoff': 'False',
      'com.docker.compose.depends_on': 'db:service_healthy:false,once:service_completed_successfully:false',
    });
    expect(web.Config.Env).toContain('MODE=dev');
    expect(web.Mounts).toEqual([{ Type: 'volume', Name: 'app_cache', Destination: '/cache', RW: true }]);
    expect(Object.keys(web.NetworkSettings.Networks)).toEqual(['app_default']);
    expect(web.NetworkSettings.Networks['app_default']?.Aliases).toEqual(['web']);
    expect(engine.containers.inspect('app-db-1').State.Health?.Status).toBe('healthy');
    const ps = await docker('docker compose ps');
    expect(ps.stdout).toMatch(
      /^NAME +IMAGE +COMMAND +SERVICE +CREATED +STATUS +PORTS\napp-db-1 +test\/tools +"tools\.wasm spin" +db +.*Up .*\(healthy\)\s*\napp-web-1 /,
    );
  });

  it('is idempotent, scales, and recreates only a changed service', async () => {
    write('compose.yaml', APP);
    expect((await docker('docker compose up -d')).code).toBe(0);
    const before = await state();
    const again = await docker('docker compose up -d --scale web=3');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(' Container app-db-1  Running');
    const scaled = await state();
    expect(scaled['app-db-1']?.id).toBe(before['app-db-1']?.id);
    expect(scaled['app-web-1']?.id).toBe(before['app-web-1']?.id);
    expect(scaled['app-web-3']?.state).toBe('running');

    write('.env', 'MODE=prod\n');
    const changed = await docker('docker compose up -d');
    expect(changed.code, changed.stderr).toBe(0);
    const now = await state();
    expect(now['app-db-1']?.id).toBe(before['app-db-1']?.id);
    expect(now['app-web-1']?.id).not.toBe(before['app-web-1']?.id);
    expect(now['app-web-2']).toBeUndefined();
    expect(changed.stderr).toContain(' Container app-web-1  Recreated');
    expect(engine.containers.inspect('app-web-1').Config.Env).toContain('MODE=prod');
  });

  it('down stops and removes containers and the network; -v the volumes too', async () => {
    write('compose.yaml', APP);
    expect((await docker('docker compose up -d')).code).toBe(0);
    expect((await docker('docker compose ls')).stdout).toBe(
      'NAME                STATUS                  CONFIG FILES\napp                 exited(1), running(2)   /project/compose.yaml\n',
    );
    const down = await docker('docker compose down -v');
    expect(down.code, down.stderr).toBe(0);
    expect(down.stderr).toContain(' Network app_default  Removed');
    expect(down.stderr).toContain(' Volume app_cache  Removed');
    expect(await state()).toEqual({});
    expect((await docker('docker network ls --format "{{.Name}}"')).stdout).not.toContain('app_default');
    expect((await docker('docker volume ls -q')).stdout).toBe('');
  });

  it('fails when a one-shot dependency exits non-zero, leaving its dependents created', async () => {
    write('compose.yaml', APP.replace('command: exit 0', 'command: exit 3'));
    const up = await docker('docker compose up -d');
    expect(up.code).toBe(1);
    expect(up.stderr).toContain(`service "once" didn't complete successfully: exit 3`);
    expect((await state())['app-web-1']?.state).toBe('created');
  });

  it('takes global flags before the sub-command and keeps a sub-command’s own letters', async () => {
    write('other/stack.yaml', 'services:\n  solo:\n    image: test/tools\n    command: echo from-solo\n');
    const up = await docker('docker compose -f other/stack.yaml up');
    expect(up.code, up.stderr).toBe(0);
    // The project is named after the compose file's folder; attached, `up` prints prefixed logs.
    expect(up.stdout).toBe('Attaching to other-solo-1\nsolo-1  | from-solo\n');
    write('other/abort.yaml', 'services:\n  quick:\n    image: test/tools\n    command: exit 5\n  slow:\n    image: test/tools\n    command: spin\n');
    const abort = await docker('docker compose -f other/abort.yaml -p abort up --abort-on-container-exit');
    expect(abort.code, abort.stderr).toBe(5);
    expect(abort.stdout).toContain('abort-quick-1 exited with code 5\nAborting on container exit...\n');
    expect((await docker('docker ps -q --filter label=com.docker.compose.project=abort')).stdout).toBe('');
    const logs = await docker('docker compose -p other logs -f --no-log-prefix');
    expect(logs.stdout).toBe('from-solo\n');
    expect((await docker('docker compose version')).stdout).toMatch(/^Docker Compose version v2\.\d+\.\d+\n$/);
  });

  it('run: a one-off container after its dependencies, its output and status, removed with --rm', async () => {
    write('compose.yaml', APP);
    const r = await docker('docker compose run --rm web echo one-off');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('one-off\n');
    // Its dependencies came up; the one-off is gone, and ps leaves one-offs out.
    expect(r.stderr).toContain(' Container app-db-1  Healthy');
    expect((await docker('docker ps -a --format "{{.Names}}"')).stdout).not.toMatch(/app-web-run-/);
    expect((await docker('docker compose run --no-deps web exit 4')).code).toBe(4);
    expect((await docker('docker ps -a --format "{{.Names}}"')).stdout).toMatch(/app-web-run-[0-9a-f]{12}\n/);
    // down removes one-off containers too, so the network can go.
    const down = await docker('docker compose down');
    expect(down.code, down.stderr).toBe(0);
    expect((await docker('docker ps -a -q')).stdout).toBe('');
  });

  it('copies bind mounts’ host files, secrets and configs into the container before it starts', async () => {
    write('site/html/index.html', '<h1>hi</h1>\n');
    write('site/html/css/a.css', 'b{}\n');
    write('site/pw.txt', 's3cret\n');
    write(
      'site/compose.yaml',
      [
        'services:',
        '  web:',
        '    image: test/tools',
        '    command: spin',
        '    volumes: ["./html:/srv/www:ro"]',
        '    secrets: [pw]',
        '    configs: [{ source: conf, target: /etc/app.conf }]',
        'secrets: { pw: { file: ./pw.txt } }',
        'configs: { conf: { content: "a=1" } }',
        '',
      ].join('\n'),
    );
    const up = await docker('docker compose -f site/compose.yaml up -d');
    expect(up.code, up.stderr).toBe(0);
    // `docker cp` to a host path writes the file there.
    const read = async (path: string) => {
      const r = await docker(`docker cp site-web-1:${path} out`);
      expect(r.code, r.stderr).toBe(0);
      return new TextDecoder().decode(files.get('out'));
    };
    expect(await read('/srv/www/index.html')).toBe('<h1>hi</h1>\n');
    expect(await read('/srv/www/css/a.css')).toBe('b{}\n');
    expect(await read('/run/secrets/pw')).toBe('s3cret\n');
    expect(await read('/etc/app.conf')).toBe('a=1');
    write('site/compose.yaml', 'services:\n  web:\n    image: test/tools\n    volumes: ["./missing:/x"]\n');
    const missing = await docker('docker compose -f site/compose.yaml up -d --force-recreate');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('bind source path does not exist: /site/missing');
  });

  it('reports a missing file, a schema error and a cycle as Compose does', async () => {
    expect(await docker('docker compose up -d')).toMatchObject({ code: 1, stderr: expect.stringContaining('no configuration file provided: not found') });
    write('compose.yaml', 'services:\n  web:\n    image: test/tools\n    restartt: always\n');
    const schema = await docker('docker compose config');
    expect(schema.code).toBe(1);
    expect(schema.stderr).toMatch(/compose\.yaml.*services\.web.*restartt.*line 4/);
    write('compose.yaml', 'services:\n  a: { image: test/tools, depends_on: [b] }\n  b: { image: test/tools, depends_on: [a] }\n');
    const cycle = await docker('docker compose up -d');
    expect(cycle.code).toBe(1);
    expect(cycle.stderr).toMatch(/dependency cycle detected: (a -> b -> a|b -> a -> b)/);
  });
});

describe('docker compose events', () => {
  it("streams the project's container events, by service, without Compose's labels; --json as Compose writes it", async () => {
    write(
      'compose.yaml',
      'services:\n  a:\n    image: test/tools\n    command: exit 0\n    labels: { tier: front }\n  b:\n    image: test/tools\n    command: exit 0\n',
    );
    const watch = (args: string) => streamingDocker(engine, `docker compose -p ev events ${args}`, files);
    const plain = watch('a');
    const json = watch('--json');
    await docker('docker compose -p other up -d');
    expect((await docker('docker compose -p ev up -d')).code).toBe(0);
    await until(() => (plain.out().match(/ die /g) ?? []).length === 1 && (json.out().match(/"die"/g) ?? []).length === 2);
    expect(await plain.stop()).toBe(130);
    expect(await json.stop()).toBe(130);
    const id = (await docker('docker compose -p ev ps -a -q a')).stdout.trim();
    expect(
      plain
        .out()
        .split('\n')
        .filter(Boolean)
        .map((l) => l.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} /, '')),
      // The image's labels and the service's, as Docker puts a container's labels in its events.
    ).toEqual([
      `container create ${id} (image=test/tools, name=ev-a-1, org.example.image=tools, tier=front)`,
      `container start ${id} (image=test/tools, name=ev-a-1, node=node-1, org.example.image=tools, tier=front)`,
      `container die ${id} (exitCode=0, image=test/tools, name=ev-a-1, org.example.image=tools, tier=front)`,
    ]);
    const events = json
      .out()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.map((e) => `${e.service} ${e.action}`).sort()).toEqual(['a create', 'a die', 'a start', 'b create', 'b die', 'b start']);
    expect(Object.keys(events[0]!)).toEqual(['action', 'attributes', 'id', 'service', 'time', 'type']);
    expect(
      events.every(
        (e) => e.type === 'container' && typeof e.time === 'string' && !Object.keys(e.attributes as object).some((k) => k.startsWith('com.docker.compose.')),
      ),
    ).toBe(true);
  });
});

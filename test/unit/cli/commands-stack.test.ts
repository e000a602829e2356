// docker stack …: a Compose file's `deploy:` keys as services, over fake nodes.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VirtualFiles } from '../../../cli/virtual-files.ts';
import type { Engine } from '../../../engine/engine.ts';
import { containerEngine, dockerCommand, until } from '../../support/cli-helpers.ts';

let engine: Engine;
let files: VirtualFiles;
const docker = (line: string) => dockerCommand(engine, line, files);

beforeEach(async () => {
  ({ engine, files } = await containerEngine());
});
afterEach(async () => {
  await engine.close();
});

const COMPOSE = `services:
  web:
    image: test/tools
    command: [spin]
    environment: { MODE: prod }
    deploy:
      replicas: 3
      placement: { constraints: [node.name==node-2] }
      restart_policy: { condition: on-failure, delay: 10ms, max_attempts: 2 }
      update_config: { parallelism: 2, failure_action: rollback }
      resources: { limits: { memory: 64m }, reservations: { memory: 32m } }
  agent:
    image: test/tools
    command: [spin]
    deploy: { mode: global }
`;

describe('docker stack', () => {
  it('deploys services NAME_svc on NAME_default from deploy keys, lists, updates and removes them', async () => {
    files.set('compose.yaml', new TextEncoder().encode(COMPOSE));
    expect(await docker('docker stack deploy -c compose.yaml app')).toEqual({
      code: 0,
      stdout: 'Creating network app_default\nCreating service app_web\nCreating service app_agent\n',
      stderr: '',
    });
    const web = engine.services.inspect('app_web');
    expect(web.Spec).toMatchObject({
      Mode: { Replicated: { Replicas: 3 } },
      Labels: { 'com.docker.stack.namespace': 'app' },
      UpdateConfig: { Parallelism: 2, FailureAction: 'rollback' },
      TaskTemplate: {
        ContainerSpec: { Image: 'test/tools', Args: ['spin'], Env: ['MODE=prod'] },
        RestartPolicy: { Condition: 'on-failure', Delay: 10e6, MaxAttempts: 2 },
        Placement: { Constraints: ['node.name==node-2'] },
        Resources: { Limits: { MemoryBytes: 64 * 2 ** 20 }, Reservations: { MemoryBytes: 32 * 2 ** 20 } },
        Networks: [{ Target: 'app_default' }],
      },
    });
    expect(engine.services.inspect('app_agent').Spec.Mode).toEqual({ Global: {} });
    await until(() => engine.services.converged('app_web') && engine.services.converged('app_agent'));
    expect(engine.services.tasks('app_web').every((t) => t.container.Node === 'node-2')).toBe(true);
    expect(await docker('docker stack ls')).toEqual({ code: 0, stdout: 'NAME      SERVICES\napp       2\n', stderr: '' });
    expect((await docker('docker stack services app --format "{{.Name}} {{.Mode}} {{.Replicas}}"')).stdout).toBe(
      'app_agent global 2/2\napp_web replicated 3/3\n',
    );
    expect((await docker('docker stack ps app -q')).stdout.split('\n').filter(Boolean)).toHaveLength(5);

    files.set('compose.yaml', new TextEncoder().encode(COMPOSE.replace('replicas: 3', 'replicas: 1')));
    const again = await docker('docker stack deploy -c compose.yaml app');
    expect(again.stdout).toBe(`Updating service app_web (id: ${web.ID})\nUpdating service app_agent (id: ${engine.services.inspect('app_agent').ID})\n`);
    await until(() => engine.services.tasks('app_web').length === 1);

    expect(await docker('docker stack rm app')).toEqual({
      code: 0,
      stdout: 'Removing service app_agent\nRemoving service app_web\nRemoving network app_default\n',
      stderr: '',
    });
    expect(engine.containers.list({ all: true })).toEqual([]);
    expect(await docker('docker stack ps app')).toEqual({ code: 1, stdout: '', stderr: 'Nothing found in stack: app\n' });
  });

  it('refuses what a stack cannot do here yet, by name', async () => {
    files.set('compose.yaml', new TextEncoder().encode('services:\n  web:\n    image: test/tools\n    ports: ["8080:80/udp"]\n'));
    expect((await docker('docker stack deploy -c compose.yaml app')).stderr).toBe(
      'Error response from daemon: service web: ports of protocol udp in mode ingress (only tcp through the routing mesh) is not supported by stack deploy yet\n',
    );
    expect(engine.services.list()).toEqual([]);
  });

  it('publishes a service’s ports through the routing mesh, and names it by its short name on the stack’s network', async () => {
    files.set('compose.yaml', new TextEncoder().encode('services:\n  web:\n    image: test/tools\n    command: spin\n    ports: ["8080:80"]\n'));
    expect((await docker('docker stack deploy -c compose.yaml app')).code).toBe(0);
    expect((await docker('docker service ls --format "{{.Name}} {{.Ports}}"')).stdout).toBe('app_web *:8080->80/tcp\n');
    const net = engine.networks.inspect('app_default').Id;
    const vip = engine.services.inspect('app_web').Endpoint!.VirtualIPs![0]!.Addr.split('/')[0];
    await until(() => engine.networks.records(net).some((r) => r.name === 'web'));
    expect(engine.networks.records(net).filter((r) => r.name === 'web' || r.name === 'app_web')).toEqual([
      { name: 'app_web', address: vip },
      { name: 'web', address: vip },
    ]);
  });
});

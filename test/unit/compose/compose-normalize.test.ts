// Short syntaxes into the model's long forms, implied defaults, and references checked.
import { describe, expect, it } from 'vitest';
import type { ComposeService } from '../../../engine/compose/model/compose-model.ts';
import { normalizeProject } from '../../../engine/compose/model/compose-normalize.ts';
import { parseComposeYaml } from '../../../engine/compose/model/compose-yaml.ts';

const normalize = (text: string, files: Record<string, string> = {}, env: Record<string, string> = {}) => {
  const warnings: string[] = [];
  const project = normalizeProject(parseComposeYaml('compose.yaml', text).value, {
    name: 'proj',
    projectDirectory: '/home/me/proj',
    lookup: (k) => env[k],
    readFile: (p) => files[p],
    warn: (w) => warnings.push(w),
  });
  return { project, warnings };
};
const service = (body: string, files?: Record<string, string>, env?: Record<string, string>): ComposeService =>
  normalize(`services:\n  s:\n${body.replace(/^/gm, '    ')}\nvolumes:\n  data:\n`, files, env).project.services['s']!;

describe('normalizeProject', () => {
  it('expands ports: host ip, ranges, protocols, numbers, IPv6, long syntax', () => {
    const ports = service(
      'ports:\n  - "8080:80"\n  - "127.0.0.1:8001:8001/udp"\n  - "3000-3001"\n  - "9090-9091:8080-8081"\n  - "8000-9000:80"\n  - 5432\n  - "[::1]:6001:6001"\n  - "::1:6000:6000"\n  - ":7000:7000"\n  - {target: 443, published: 8443, host_ip: 0.0.0.0, mode: host}',
    ).ports;
    const p = (target: number, published?: string, extra: object = {}) => ({
      mode: 'ingress',
      target,
      ...(published ? { published } : {}),
      protocol: 'tcp',
      ...extra,
    });
    expect(ports).toEqual([
      p(80, '8080'),
      { mode: 'ingress', host_ip: '127.0.0.1', target: 8001, published: '8001', protocol: 'udp' },
      p(3000),
      p(3001),
      p(8080, '9090'),
      p(8081, '9091'),
      p(80, '8000-9000'),
      p(5432),
      { mode: 'ingress', host_ip: '::1', target: 6001, published: '6001', protocol: 'tcp' },
      { mode: 'ingress', host_ip: '::1', target: 6000, published: '6000', protocol: 'tcp' },
      p(7000, '7000'),
      { mode: 'host', host_ip: '0.0.0.0', target: 443, published: '8443', protocol: 'tcp' },
    ]);
    expect(() => service('ports: ["80:http"]')).toThrow('invalid port "http" (services.s.ports[0])');
    expect(() => service('ports: ["8000-8002:80-81"]')).toThrow(/host and container ranges differ/);
    expect(() => service('ports: ["80/sctp"]')).toThrow(/invalid protocol "sctp"/);
  });

  it('turns volumes into mounts: named, bind relative to the project, anonymous, read-only, long syntax', () => {
    expect(
      service(
        'volumes:\n  - data:/var/lib\n  - ./dir:/x:ro\n  - ../up:/up:rw,z\n  - /abs:/abs\n  - /anon\n  - {type: tmpfs, target: /tmp}\n  - {type: bind, source: ./c, target: /c, read_only: true}',
      ).volumes,
    ).toEqual([
      { type: 'volume', source: 'data', target: '/var/lib' },
      { type: 'bind', source: '/home/me/proj/dir', target: '/x', read_only: true },
      { type: 'bind', source: '/home/me/up', target: '/up' },
      { type: 'bind', source: '/abs', target: '/abs' },
      { type: 'volume', target: '/anon' },
      { type: 'tmpfs', target: '/tmp' },
      { type: 'bind', source: '/home/me/proj/c', target: '/c', read_only: true },
    ]);
    expect(() => service('volumes: [other:/x]')).toThrow('service "s" refers to undefined volume other: invalid compose project');
  });

  it('builds environment from env_file then environment; a bare KEY comes from the environment or is dropped', () => {
    const files = { 'a.env': 'A=from-a\nB=from-a\nURL=http://$HOST\n', 'b.env': 'B=from-b\n' };
    const s = service('env_file: [a.env, {path: missing.env, required: false}, ./b.env]\nenvironment: [C=3, HOST, UNSET, B]', files, { HOST: 'h', B: 'shell' });
    expect(s.environment).toEqual({ A: 'from-a', B: 'shell', URL: 'http://h', C: '3', HOST: 'h' });
    expect(s.env_file).toEqual(['/home/me/proj/a.env', '/home/me/proj/b.env']);
    // A bare key with nothing in the environment takes nothing from the env_file either: environment wins even when unset.
    expect(service('env_file: a.env\nenvironment: [A]', files).environment).toEqual({ B: 'from-a', URL: 'http://' });
    expect(() => service('env_file: nope.env')).toThrow('env file /home/me/proj/nope.env not found (services.s.env_file)');
    expect(service('environment: {N: 1, T: true, E: ""}').environment).toEqual({ N: '1', T: 'true', E: '' });
  });

  it('fills depends_on with Compose’s defaults', () => {
    const deps = normalize(
      'services:\n  a:\n    depends_on: [b]\n  b:\n    depends_on:\n      c: {condition: service_completed_successfully, restart: "true", required: false}\n  c: {}\n',
    ).project;
    expect(deps.services['a']!.depends_on).toEqual({ b: { condition: 'service_started', restart: false, required: true } });
    expect(deps.services['b']!.depends_on).toEqual({ c: { condition: 'service_completed_successfully', restart: true, required: false } });
  });

  it('splits command strings like a shell and keeps lists', () => {
    const s = service(`command: sh -c 'echo "hi there" && sleep 1' "two words" a\\ b\nentrypoint: ["/bin/sh", "-c"]`);
    expect(s.command).toEqual(['sh', '-c', 'echo "hi there" && sleep 1', 'two words', 'a b']);
    expect(s.entrypoint).toEqual(['/bin/sh', '-c']);
  });

  it('writes a healthcheck in long form with durations as Compose prints them', () => {
    expect(
      service('healthcheck:\n  test: curl -f http://localhost\n  interval: 1m30s\n  timeout: 60s\n  start_period: 3600s\n  retries: "3"').healthcheck,
    ).toEqual({
      test: ['CMD-SHELL', 'curl -f http://localhost'],
      interval: '1m30s',
      timeout: '1m',
      start_period: '1h',
      retries: 3,
    });
    expect(service('healthcheck: {disable: true}').healthcheck).toEqual({ test: ['NONE'], disable: true });
  });

  it('maps labels and networks, and attaches to default unless network_mode is set', () => {
    const { project } = normalize(
      'services:\n  a:\n    labels: [com.example=1, flag]\n    networks: [front]\n  b:\n    network_mode: host\n  c:\n    networks:\n      front: {aliases: [cee], ipv4_address: 10.0.0.5}\n  d: {}\nnetworks:\n  front:\n  outside: {external: true}\n  named: {external: true, name: real}\n',
    );
    expect(project.services['a']).toMatchObject({ labels: { 'com.example': '1', flag: '' }, networks: { front: {} } });
    expect(project.services['b']!.networks).toEqual({});
    expect(project.services['c']!.networks).toEqual({ front: { aliases: ['cee'], ipv4_address: '10.0.0.5' } });
    expect(project.services['d']!.networks).toEqual({ default: {} });
    expect(project.networks).toEqual({
      front: { name: 'proj_front' },
      outside: { name: 'outside', external: true },
      named: { name: 'real', external: true },
      default: { name: 'proj_default' },
    });
    expect(() => normalize('services:\n  a:\n    networks: [nope]\n')).toThrow('service "a" refers to undefined network nope: invalid compose project');
  });

  it('reads scale from scale or deploy.replicas, and refuses two different ones', () => {
    expect(service('deploy: {replicas: 3, restart_policy: {condition: on-failure, delay: 5s, max_attempts: "3"}}')).toMatchObject({
      scale: 3,
      deploy: { replicas: 3, restart_policy: { condition: 'on-failure', delay: '5s', max_attempts: 3 } },
    });
    expect(service('scale: "2"').scale).toBe(2);
    expect(service('image: x').scale).toBeUndefined();
    expect(() => service('scale: 2\ndeploy: {replicas: 3}')).toThrow("services.s: can't set distinct values on 'scale' and 'deploy.replicas'");
  });

  it('names secrets and configs, with files made absolute', () => {
    const { project } = normalize(
      'services:\n  a:\n    secrets: [db_pw, {source: api, target: /run/api}]\n    configs: [conf]\nsecrets:\n  db_pw: {file: ./pw.txt}\n  api: {environment: API_KEY}\nconfigs:\n  conf: {content: "x=1"}\n',
    );
    expect(project.services['a']!.secrets).toEqual([{ source: 'db_pw' }, { source: 'api', target: '/run/api' }]);
    expect(project.secrets).toEqual({ db_pw: { name: 'proj_db_pw', file: '/home/me/proj/pw.txt' }, api: { name: 'proj_api', environment: 'API_KEY' } });
    expect(project.configs).toEqual({ conf: { name: 'proj_conf', content: 'x=1' } });
    expect(() => normalize('services:\n  a:\n    secrets: [nope]\n')).toThrow('service "a" refers to undefined secret nope: invalid compose project');
  });

  it('takes build as a context or a mapping, args from the environment', () => {
    expect(service('build: ./web').build).toEqual({ context: '/home/me/proj/web', dockerfile: 'Dockerfile' });
    expect(service('build: {context: https://github.com/x/y.git, dockerfile: D, args: [A=1, B, C], target: prod}', {}, { B: 'b' }).build).toEqual({
      context: 'https://github.com/x/y.git',
      dockerfile: 'D',
      args: { A: '1', B: 'b' },
      target: 'prod',
    });
  });
});

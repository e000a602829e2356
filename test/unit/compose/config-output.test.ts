// `docker compose config`: the model printed as a Compose file that loads back into the same model.
import { describe, expect, it } from 'vitest';
import { type LoadOptions, loadProject } from '../../../engine/compose/model/compose-loader.ts';
import { configJson, configYaml } from '../../../engine/compose/model/config-output.ts';

const load = (files: Record<string, string>, opts: LoadOptions = {}) =>
  loadProject({ readFile: (p) => files[p] }, { projectDirectory: '/src/shop', ...opts }).project;

const WEB_REDIS = `
services:
  web:
    build: .
    ports:
      - "8000:5000"
    environment:
      REDIS_HOST: redis
  redis:
    image: "redis:alpine"
`;

const FULL = `
name: shop
services:
  db:
    image: mariadb:10.6
    command: --default-authentication-plugin=mysql_native_password
    environment: [MYSQL_ROOT_PASSWORD=pa$$word, "PRICE=5$$"]
    volumes: [db_data:/var/lib/mysql]
    healthcheck:
      test: mysqladmin ping -h 127.0.0.1
      interval: 90s
      retries: 5
    restart: always
    expose: [3306]
    labels: {b: "2", a: "1"}
  wordpress:
    image: wordpress:latest
    depends_on:
      db: {condition: service_healthy, restart: true}
    ports: ["127.0.0.1:80-81:80-81/udp", "443"]
    volumes: [./wp:/var/www/html:ro, /tmp/anon]
    networks:
      front: {aliases: [wp]}
      default:
    env_file: wp.env
    secrets: [db_pw]
    deploy: {replicas: 2, resources: {limits: {memory: 512M, cpus: "0.5"}}}
    stop_grace_period: 1m30s
    tty: true
    profiles: [web]
  tools:
    image: busybox
    network_mode: none
    entrypoint: sh -c
    working_dir: /w
networks:
  front: {driver: bridge}
  outside: {external: true}
volumes:
  db_data:
secrets:
  db_pw: {file: ./pw.txt}
`;

describe('configYaml', () => {
  it('prints a web + redis project as docker compose config does', () => {
    expect(configYaml(load({ 'compose.yaml': WEB_REDIS }))).toBe(`name: shop
services:
  redis:
    image: redis:alpine
    networks:
      default: null
  web:
    build:
      context: /src/shop
      dockerfile: Dockerfile
    environment:
      REDIS_HOST: redis
    networks:
      default: null
    ports:
      - mode: ingress
        target: 5000
        published: "8000"
        protocol: tcp
networks:
  default:
    name: shop_default
`);
  });

  it.each([
    ['web + redis', { 'compose.yaml': WEB_REDIS }],
    ['a project using most of the model', { 'compose.yaml': FULL, 'wp.env': 'WP_DEBUG=1\nCOST=$$5\n' }],
  ])('loads back into the same model: %s', (_, files) => {
    const opts = { profiles: ['web'] };
    const project = load(files, opts);
    const printed = configYaml(project);
    expect(load({ ...files, 'compose.yaml': printed }, opts)).toEqual(project);
    expect(load({ ...files, 'compose.yaml': configJson(project) }, opts)).toEqual(project);
  });

  it('keeps a literal $ by writing $$, and lists keys in Compose’s order', () => {
    const project = load({ 'compose.yaml': FULL, 'wp.env': 'A=1\n' }, { profiles: ['web'] });
    const printed = configYaml(project);
    expect(printed).toContain('MYSQL_ROOT_PASSWORD: pa$$word');
    expect(printed.match(/^\w+:/gm)).toEqual(['name:', 'services:', 'networks:', 'volumes:', 'secrets:']);
    const wordpress = printed.slice(printed.indexOf('  wordpress:'), printed.indexOf('\nnetworks:'));
    const keys = wordpress.match(/^ {4}\w+:/gm)!.map((k) => k.trim().slice(0, -1));
    expect(keys).toEqual([
      'profiles',
      'depends_on',
      'deploy',
      'environment',
      'env_file',
      'image',
      'networks',
      'ports',
      'scale',
      'secrets',
      'stop_grace_period',
      'tty',
      'volumes',
    ]);
    expect(printed).toContain('    depends_on:\n      db:\n        condition: service_healthy\n        restart: true\n        required: true\n');
  });
});

describe('configJson', () => {
  it('prints the same document as JSON', () => {
    const project = load({ 'compose.yaml': WEB_REDIS });
    expect(JSON.parse(configJson(project))).toEqual({
      name: 'shop',
      services: {
        redis: { image: 'redis:alpine', networks: { default: null } },
        web: {
          build: { context: '/src/shop', dockerfile: 'Dockerfile' },
          environment: { REDIS_HOST: 'redis' },
          networks: { default: null },
          ports: [{ mode: 'ingress', target: 5000, published: '8000', protocol: 'tcp' }],
        },
      },
      networks: { default: { name: 'shop_default' } },
    });
  });
});

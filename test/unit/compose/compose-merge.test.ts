// Merging files per 13-merge.md, on the values a file parses to.
import { describe, expect, it } from 'vitest';
import { mergeComposeFiles, mergeService } from '../../../engine/compose/model/compose-merge.ts';
import { parseComposeYaml } from '../../../engine/compose/model/compose-yaml.ts';

const yaml = (text: string) => parseComposeYaml('x.yaml', text).value;
const merge = (...texts: string[]) => texts.map(yaml).reduce(mergeComposeFiles, {});
const service = (doc: Record<string, unknown>, name = 'app') => (doc['services'] as Record<string, Record<string, unknown>>)[name]!;

describe('mergeComposeFiles', () => {
  it('merges mappings key by key and appends sequences', () => {
    const doc = merge(
      'services:\n  foo:\n    key1: value1\n    key2: value2\n    dns: [1.1.1.1]\n',
      'services:\n  foo:\n    key2: VALUE\n    key3: value3\n    dns: [8.8.8.8, 1.1.1.1]\n',
    );
    expect(service(doc, 'foo')).toEqual({ key1: 'value1', key2: 'VALUE', key3: 'value3', dns: ['1.1.1.1', '8.8.8.8'] });
  });

  it('replaces command, entrypoint and healthcheck.test; merges the rest of healthcheck', () => {
    const doc = merge(
      'services:\n  app:\n    command: ["echo", "foo"]\n    entrypoint: [sh, -c]\n    healthcheck: {test: [CMD, a], interval: 5s}\n',
      'services:\n  app:\n    command: ["echo", "bar"]\n    entrypoint: bash\n    healthcheck: {test: [CMD, b], retries: 3}\n',
    );
    expect(service(doc)).toEqual({ command: ['echo', 'bar'], entrypoint: 'bash', healthcheck: { test: ['CMD', 'b'], interval: '5s', retries: 3 } });
  });

  it('merges environment and labels by key, list or mapping', () => {
    const doc = merge(
      'services:\n  app:\n    environment: [A=1, B=2]\n    labels: {x: "1"}\n',
      'services:\n  app:\n    environment:\n      B: "3"\n      C: "4"\n    labels: [y=2, x=0]\n',
    );
    expect(service(doc)).toMatchObject({ environment: { A: '1', B: '3', C: '4' }, labels: { x: '0', y: '2' } });
  });

  it('merges volumes, secrets and configs by target, and ports without repeating one', () => {
    const doc = merge(
      'services:\n  app:\n    volumes: [foo:/work, /cache]\n    secrets: [s1, {source: s2, target: /run/s}]\n    ports: ["8080:80"]\n',
      'services:\n  app:\n    volumes: [bar:/work, {type: bind, source: ./x, target: /x}]\n    secrets: [{source: s3, target: /run/s}]\n    ports: ["8080:80", "8443:443"]\n',
    );
    expect(service(doc)).toEqual({
      volumes: ['bar:/work', '/cache', { type: 'bind', source: './x', target: '/x' }],
      secrets: ['s1', { source: 's3', target: '/run/s' }],
      ports: ['8080:80', '8443:443'],
    });
  });

  it('turns short forms into mappings first: build, depends_on, networks, single strings', () => {
    const doc = merge(
      'services:\n  app:\n    build: .\n    depends_on: [db]\n    networks: [front]\n    env_file: a.env\n',
      'services:\n  app:\n    build: {dockerfile: Dockerfile.dev}\n    depends_on: {db: {condition: service_healthy}, cache: {}}\n    networks: {back: {}}\n    env_file: [b.env]\n',
    );
    expect(service(doc)).toEqual({
      build: { context: '.', dockerfile: 'Dockerfile.dev' },
      depends_on: { db: { condition: 'service_healthy' }, cache: {} },
      networks: { front: {}, back: {} },
      env_file: ['a.env', 'b.env'],
    });
  });

  it('clears with !reset and replaces with !override', () => {
    const doc = merge(
      'services:\n  app:\n    image: myapp\n    ports: ["8080:80"]\n    environment:\n      FOO: BAR\n      KEEP: "1"\n    volumes: [a:/a]\n',
      'services:\n  app:\n    ports: !reset []\n    environment:\n      FOO: !reset null\n    volumes: !override\n      - b:/b\n',
    );
    expect(service(doc)).toEqual({ image: 'myapp', environment: { KEEP: '1' }, volumes: ['b:/b'] });
    expect(
      service(merge('services:\n  app:\n    healthcheck: {test: [CMD, a], retries: 2}\n', 'services:\n  app:\n    healthcheck:\n      test: !reset\n')),
    ).toEqual({
      healthcheck: { retries: 2 },
    });
    const removed = merge('services:\n  app: {image: a}\n  gone: {image: b}\n', 'services:\n  gone: !reset\n');
    expect(Object.keys(removed['services'] as object)).toEqual(['app']);
  });

  it('merges top-level resources, and the first file alone loses its markers', () => {
    expect(
      merge('volumes:\n  data:\nnetworks:\n  front: {driver: bridge}\n', 'volumes:\n  data: {driver: local}\nnetworks:\n  front: {internal: true}\n'),
    ).toEqual({
      volumes: { data: { driver: 'local' } },
      networks: { front: { driver: 'bridge', internal: true } },
    });
    expect(merge('services:\n  app:\n    image: a\n    ports: !reset []\n')).toEqual({ services: { app: { image: 'a' } } });
  });
});

describe('mergeService', () => {
  it('puts the main service over the one it extends (05-services.md, extends)', () => {
    expect(
      mergeService(
        { image: 'busybox', environment: { TZ: 'utc', PORT: 80 }, security_opt: ['label:role:ROLE'] },
        { environment: ['PORT=8080'], security_opt: ['label:user:USER'] },
      ),
    ).toEqual({
      image: 'busybox',
      environment: { TZ: 'utc', PORT: '8080' },
      security_opt: ['label:role:ROLE', 'label:user:USER'],
    });
    expect(mergeService({ volumes: ['common-volume:/var/lib/backup/data:rw'] }, { volumes: ['cli-volume:/var/lib/backup/data:ro'] })).toEqual({
      volumes: ['cli-volume:/var/lib/backup/data:ro'],
    });
  });
});

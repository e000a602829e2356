// Loading whole projects: real files in the style of docker/awesome-compose, several files, .env,
// anchors, extends, include, profiles and the project's name.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${VAR}` in Compose files is the data under test, not a template.
import { describe, expect, it } from 'vitest';
import { type LoadOptions, loadProject } from '../../../engine/compose/model/compose-loader.ts';

const load = (files: Record<string, string>, opts: LoadOptions = {}) => loadProject({ readFile: (p) => files[p] }, { projectDirectory: '/src/app', ...opts });

const WORDPRESS = `
services:
  db:
    image: mariadb:10.6.4-focal
    command: '--default-authentication-plugin=mysql_native_password'
    volumes:
      - db_data:/var/lib/mysql
    restart: always
    environment:
      - MYSQL_ROOT_PASSWORD=\${MYSQL_ROOT_PASSWORD:?set a root password}
      - MYSQL_DATABASE=wordpress
    healthcheck:
      test: ["CMD", "healthcheck.sh", "--connect", "--innodb_initialized"]
      start_period: 10s
      interval: 10s
      timeout: 5s
      retries: 3
    expose:
      - 3306
  wordpress:
    image: wordpress:latest
    ports:
      - 80:80
    restart: always
    depends_on:
      db:
        condition: service_healthy
    environment:
      - WORDPRESS_DB_HOST=db
      - WORDPRESS_DB_PASSWORD=\${MYSQL_ROOT_PASSWORD}
volumes:
  db_data:
`;

describe('loadProject', () => {
  it('loads wordpress + mysql with a healthcheck, depends_on service_healthy and .env', () => {
    const { project, warnings, files } = load({ 'compose.yaml': WORDPRESS, '.env': 'MYSQL_ROOT_PASSWORD=s3cret\n' });
    expect(files).toEqual(['compose.yaml']);
    expect(warnings).toEqual([]);
    expect(project.name).toBe('app');
    expect(project.services['db']).toMatchObject({
      command: ['--default-authentication-plugin=mysql_native_password'],
      environment: { MYSQL_ROOT_PASSWORD: 's3cret', MYSQL_DATABASE: 'wordpress' },
      healthcheck: { test: ['CMD', 'healthcheck.sh', '--connect', '--innodb_initialized'], start_period: '10s', interval: '10s', timeout: '5s', retries: 3 },
      volumes: [{ type: 'volume', source: 'db_data', target: '/var/lib/mysql' }],
      expose: ['3306'],
    });
    expect(project.services['wordpress']!.depends_on).toEqual({ db: { condition: 'service_healthy', restart: false, required: true } });
    expect(project.services['wordpress']!.ports).toEqual([{ mode: 'ingress', target: 80, published: '80', protocol: 'tcp' }]);
    expect(project.volumes).toEqual({ db_data: { name: 'app_db_data' } });
    expect(project.networks).toEqual({ default: { name: 'app_default' } });
  });

  it('fails a required variable, and lets the shell environment win over .env', () => {
    expect(() => load({ 'compose.yaml': WORDPRESS })).toThrow('required variable MYSQL_ROOT_PASSWORD is missing a value: set a root password');
    const { project } = load({ 'compose.yaml': WORDPRESS, '.env': 'MYSQL_ROOT_PASSWORD=dotenv' }, { environment: { MYSQL_ROOT_PASSWORD: 'shell' } });
    expect(project.services['db']!.environment['MYSQL_ROOT_PASSWORD']).toBe('shell');
    const fromEnvFile = load({ 'compose.yaml': WORDPRESS, 'prod.env': 'MYSQL_ROOT_PASSWORD=prod' }, { envFiles: ['./prod.env'] });
    expect(fromEnvFile.project.services['db']!.environment['MYSQL_ROOT_PASSWORD']).toBe('prod');
  });

  it('warns of unset variables, an obsolete version and keys the model does not carry', () => {
    const { project, warnings } = load({ 'compose.yaml': 'version: "3.8"\nservices:\n  web:\n    image: "nginx:${TAG}"\n    privileged: true\n' });
    expect(project.services['web']!.image).toBe('nginx:');
    expect(warnings).toEqual([
      'The "TAG" variable is not set. Defaulting to a blank string.',
      'compose.yaml: the attribute `version` is obsolete, it will be ignored, please remove it to avoid potential confusion',
      'services.web.privileged is not supported and is ignored',
    ]);
  });

  it('finds the default file, and says so when there is none', () => {
    expect(load({ 'docker-compose.yml': 'services:\n  a: {image: x}\n' }).files).toEqual(['docker-compose.yml']);
    expect(load({ 'compose.yml': 'services:\n  a: {image: x}\n', 'docker-compose.yml': 'services:\n  b: {image: x}\n' }).files).toEqual(['compose.yml']);
    expect(() => load({})).toThrow('no configuration file provided: not found');
    expect(() => load({}, { files: ['nope.yaml'] })).toThrow('open nope.yaml: no such file or directory');
    expect(load({ 'a.yml': 'services:\n  a: {image: x}\n' }, { environment: { COMPOSE_FILE: 'a.yml' } }).files).toEqual(['a.yml']);
  });

  it('merges -f files in order, relative paths starting at the project directory', () => {
    const { project, files } = load(
      {
        'compose.yaml':
          'services:\n  web:\n    build: .\n    ports: ["8080:80"]\n    environment: {MODE: prod, KEEP: "1"}\n  redis:\n    image: redis:alpine\n',
        'dev/override.yaml': 'services:\n  web:\n    volumes: [./src:/app/src]\n    ports: !override ["3000:80"]\n    environment: [MODE=dev]\n',
      },
      { files: ['compose.yaml', './dev/override.yaml'] },
    );
    expect(files).toEqual(['compose.yaml', 'dev/override.yaml']);
    expect(project.services['web']).toMatchObject({
      build: { context: '/src/app', dockerfile: 'Dockerfile' },
      ports: [{ target: 80, published: '3000' }],
      environment: { MODE: 'dev', KEEP: '1' },
      volumes: [{ type: 'bind', source: '/src/app/src', target: '/app/src' }],
    });
  });

  it('resolves anchors, merge keys and drops x- extensions', () => {
    const { project } = load({
      'compose.yaml': `
x-logging: &default-restart
  restart: unless-stopped
  environment: &env
    TZ: utc
services:
  web:
    <<: *default-restart
    image: nginx
    x-internal: ignored
  worker:
    <<: *default-restart
    image: worker
    environment:
      <<: *env
      QUEUE: jobs
`,
    });
    expect(project.services['web']).toMatchObject({ restart: 'unless-stopped', environment: { TZ: 'utc' } });
    expect(project.services['web']).not.toHaveProperty('x-internal');
    expect(project.services['worker']!.environment).toEqual({ TZ: 'utc', QUEUE: 'jobs' });
  });

  it('resolves extends in the same file and from another, recursively, with paths from the other file', () => {
    const { project, files } = load({
      'compose.yaml':
        'services:\n  base:\n    image: busybox\n    user: root\n  common:\n    extends: base\n    environment: {TZ: utc}\n  cli:\n    extends: {service: common}\n    environment: {PORT: "8080"}\n  web:\n    extends: {file: shared/common.yml, service: webapp}\n    ports: ["80:80"]\n',
      'shared/common.yml': 'services:\n  webapp:\n    build: ./web\n    env_file: web.env\n    extends: {file: ../more/base.yml, service: root}\n',
      'more/base.yml': 'services:\n  root:\n    volumes: [./data:/data]\n    labels: [tier=web]\n',
      'shared/web.env': 'FROM_FILE=1\n',
    });
    expect(project.services['cli']).toMatchObject({ image: 'busybox', user: 'root', environment: { TZ: 'utc', PORT: '8080' } });
    expect(project.services['web']).toMatchObject({
      build: { context: '/src/app/shared/web' },
      environment: { FROM_FILE: '1' },
      env_file: ['/src/app/shared/web.env'],
      volumes: [{ type: 'bind', source: '/src/app/more/data', target: '/data' }],
      labels: { tier: 'web' },
      ports: [{ target: 80, published: '80' }],
    });
    expect(files).toEqual(['compose.yaml', 'shared/common.yml', 'more/base.yml']);
  });

  it('refuses an extends cycle and a missing base', () => {
    expect(() => load({ 'compose.yaml': 'services:\n  a:\n    extends: b\n  b:\n    extends: a\n' })).toThrow(
      'circular reference with extends in compose.yaml: a -> b -> a',
    );
    expect(() =>
      load({
        'compose.yaml': 'services:\n  a:\n    extends: {service: a, file: other.yml}\n',
        'other.yml': 'services:\n  a:\n    extends: {service: a, file: compose.yaml}\n',
      }),
    ).toThrow('circular reference with extends in compose.yaml: compose.yaml:a -> other.yml:a -> compose.yaml:a');
    expect(() => load({ 'compose.yaml': 'services:\n  a:\n    extends: nope\n' })).toThrow('cannot extend service "nope" in compose.yaml: service not found');
  });

  it('includes other projects, with their own directory and .env', () => {
    const { project, files } = load({
      'compose.yaml':
        'include:\n  - commons/compose.yaml\n  - path: db/compose.yaml\n    env_file: db/db.env\nservices:\n  web:\n    image: web\n    depends_on: [redis, db]\n',
      'commons/compose.yaml': 'services:\n  redis:\n    image: "redis:${REDIS_TAG}"\n    volumes: [./conf:/usr/local/etc/redis]\n',
      'commons/.env': 'REDIS_TAG=7\n',
      'db/compose.yaml': 'services:\n  db:\n    image: "postgres:${PG}"\n    volumes: [pg:/var/lib/postgresql/data]\nvolumes:\n  pg:\n',
      'db/db.env': 'PG=16\n',
    });
    expect(files).toEqual(['compose.yaml', 'commons/compose.yaml', 'db/compose.yaml']);
    expect(project.services['redis']).toMatchObject({ image: 'redis:7', volumes: [{ type: 'bind', source: '/src/app/commons/conf' }] });
    expect(project.services['db']!.image).toBe('postgres:16');
    expect(project.volumes['pg']).toEqual({ name: 'app_pg' });
    expect(project.services['web']!.networks).toEqual({ default: {} });
    // The including project's environment wins.
    const overridden = load(
      {
        'compose.yaml': 'include: [commons/compose.yaml]\n',
        'commons/compose.yaml': 'services:\n  redis:\n    image: "redis:${REDIS_TAG}"\n',
        'commons/.env': 'REDIS_TAG=7\n',
      },
      { environment: { REDIS_TAG: '6' } },
    );
    expect(overridden.project.services['redis']!.image).toBe('redis:6');
  });

  it('refuses an include that conflicts with a service, and one that includes itself', () => {
    expect(() =>
      load({ 'compose.yaml': 'include: [other.yaml]\nservices:\n  redis:\n    image: redis:7\n', 'other.yaml': 'services:\n  redis:\n    image: redis:6\n' }),
    ).toThrow('services.redis conflicts with imported resource');
    expect(() => load({ 'compose.yaml': 'include: [a/compose.yaml]\n', 'a/compose.yaml': 'include: [compose.yaml]\n' })).toThrow(
      /include cycle detected: a\/compose\.yaml -> a\/compose\.yaml/,
    );
  });

  describe('profiles (15-profiles.md)', () => {
    const files = {
      'compose.yaml': `
services:
  foo: {image: foo}
  bar: {image: bar, profiles: [test]}
  baz: {image: baz, depends_on: [bar], profiles: [test]}
  zot: {image: zot, depends_on: [bar], profiles: [debug]}
`,
    };
    const names = (opts: LoadOptions) => Object.keys(load(files, opts).project.services).sort();

    it('enables a service with profiles only while one is active', () => {
      expect(names({})).toEqual(['foo']);
      expect(names({ profiles: ['test'] })).toEqual(['bar', 'baz', 'foo']);
      expect(names({ profiles: ['test', 'debug'] })).toEqual(['bar', 'baz', 'foo', 'zot']);
      expect(names({ environment: { COMPOSE_PROFILES: 'test,debug' } })).toEqual(['bar', 'baz', 'foo', 'zot']);
      expect(names({ profiles: ['*'] })).toEqual(['bar', 'baz', 'foo', 'zot']);
    });

    it('activates the profiles of a service named on the command line', () => {
      // `test` is then active, so baz is in the model too (Compose starts only bar).
      expect(names({ services: ['bar'] })).toEqual(['bar', 'baz', 'foo']);
      expect(names({ services: ['baz'] })).toEqual(['bar', 'baz', 'foo']);
      expect(names({ services: ['zot'], profiles: ['test'] })).toEqual(['bar', 'baz', 'foo', 'zot']);
    });

    it('refuses a service that needs one its profiles leave out', () => {
      expect(() => names({ profiles: ['debug'] })).toThrow('service bar is required by zot but is disabled. Can be enabled by profiles [test]');
      expect(() => names({ services: ['zot'] })).toThrow('service bar is required by zot but is disabled');
    });
  });

  describe('project name', () => {
    const file = { 'compose.yaml': 'name: from-file\nservices:\n  a: {image: x}\n' };
    it('takes -p, then COMPOSE_PROJECT_NAME, then name:, then the directory', () => {
      expect(load(file, { projectName: 'given' }).project.name).toBe('given');
      expect(load(file, { environment: { COMPOSE_PROJECT_NAME: 'env' } }).project.name).toBe('env');
      expect(load(file).project.name).toBe('from-file');
      expect(load({ 'compose.yaml': 'services:\n  a: {image: x}\n' }, { projectDirectory: '/home/Me/My.App_1' }).project.name).toBe('myapp_1');
      expect(load({ 'compose.yaml': 'name: ${N:-dflt}\nservices:\n  a: {image: x}\n' }).project.name).toBe('dflt');
    });
    it('names resources after the project', () => {
      const { project } = load({ 'compose.yaml': 'services:\n  a: {image: x, networks: [front]}\nnetworks:\n  front:\n' }, { projectName: 'shop' });
      expect(project.networks).toEqual({ front: { name: 'shop_front' } });
    });
  });

  it('refuses a dependency on a service the project lacks, and a cycle', () => {
    expect(() => load({ 'compose.yaml': 'services:\n  web:\n    image: x\n    depends_on: [db]\n' })).toThrow(
      'service "web" depends on undefined service "db": invalid compose project',
    );
    expect(() => load({ 'compose.yaml': 'services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [a]}\n' })).toThrow(
      'dependency cycle detected: a -> b -> a',
    );
  });

  it('reports a schema error with the file and line, from any of the -f files', () => {
    expect(() =>
      load({ 'compose.yaml': 'services:\n  web:\n    image: x\n', 'o.yaml': '\nservices:\n  web:\n    imagee: y\n' }, { files: ['compose.yaml', 'o.yaml'] }),
    ).toThrow('o.yaml: services.web additional property "imagee" is not allowed (line 4)');
  });
});

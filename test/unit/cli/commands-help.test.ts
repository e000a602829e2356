import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../../engine/engine.ts';
import { dockerCommand, freshEngine } from '../../support/cli-helpers.ts';

let engine: Engine;
beforeAll(async () => {
  ({ engine } = await freshEngine());
});
const docker = (line: string) => dockerCommand(engine, line);

describe('help', () => {
  it('prints command usage like docker', async () => {
    const r = await docker('docker pull --help');
    expect(r).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        '',
        'Usage:  docker pull [OPTIONS] NAME[:TAG|@DIGEST]',
        '',
        'Download an image from a registry',
        '',
        'Aliases:',
        '  docker image pull, docker pull',
        '',
        'Options:',
        '      --platform string   Set platform if server is multi-platform capable',
        '  -q, --quiet             Suppress verbose output',
        '',
      ].join('\n'),
    });
    expect((await docker('docker help pull')).stdout).toBe(r.stdout);
    expect((await docker('pull -h')).stdout).toBe(r.stdout);
    expect((await docker('docker image pull --help')).stdout).toContain('Usage:  docker image pull [OPTIONS] NAME[:TAG|@DIGEST]');
  });

  it('lists commands in docker --help and a group in docker image --help', async () => {
    const root = await docker('docker --help');
    expect(root.code).toBe(0);
    expect(root.stdout).toMatch(
      /^\nUsage:  docker \[OPTIONS\] COMMAND\n\nA self-sufficient runtime for containers\n\nCommon Commands:\n  run         Create and run a new container from an image\n  exec        Execute a command in a running container\n  ps          List containers\n  build       Start a build\n  pull        Download an image from a registry\n  push        Upload an image to a registry\n  images      List images\n  version     Show the Docker version information\n  info        Display system-wide information\n\nManagement Commands:\n  builder     Manage builds\n  buildx      Docker Buildx\n  compose     Docker Compose\n  container   Manage containers\n  image       Manage images\n  network     Manage networks\n  node        Manage nodes \(the Workers containers run on\)\n  service     Manage Swarm-style services\n  stack       Manage stacks \(Compose files deployed as services\)\n  system      Manage Docker\n  volume      Manage volumes\n\nCommands:\n  attach      Attach local standard input, output, and error streams to a running container\n  commit      Create a new image from a container's changes\n  cp          Copy files\/folders between a container and the local filesystem\n  create      Create a new container\n  diff /,
    );
    expect(root.stdout).toContain('  rmi         Remove one or more images\n');
    for (const c of ['kill', 'logs', 'pause', 'rename', 'restart', 'rm', 'start', 'stop', 'top', 'unpause', 'wait', 'inspect'])
      expect(root.stdout).toMatch(new RegExp(`\n  ${c} +\\S`));
    expect(root.stdout).toContain("Run 'docker COMMAND --help' for more information on a command.\n");
    const group = await docker('docker image --help');
    expect(group.stdout).toContain(
      'Usage:  docker image COMMAND\n\nManage images\n\nCommands:\n  build       Start a build\n  history     Show the history of an image\n',
    );
    expect(group.stdout).toContain("Run 'docker image COMMAND --help' for more information on a command.\n");
  });

  it('prints each container, volume and node command’s help', async () => {
    const run = await docker('docker run --help');
    expect(run.stdout).toMatch(
      /^\nUsage:  docker run \[OPTIONS\] IMAGE \[COMMAND\] \[ARG\.\.\.\]\n\nCreate and run a new container from an image\n\nAliases:\n  docker container run, docker run\n\nOptions:\n/,
    );
    // Descriptions start in one column, three spaces after the longest flag (--health-start-interval duration).
    const row = (flag: string, text: string) => `\n${flag.padEnd(41)}${text}\n`;
    expect(run.stdout).toContain(row('  -d, --detach', 'Run container in background and print container ID'));
    expect(run.stdout).toContain(row('  -e, --env list', 'Set environment variables'));
    expect(run.stdout).toContain(
      row('      --health-start-interval duration', 'Time between running the check during the start period (ms|s|m|h) (default 0s)'),
    );
    expect(run.stdout).toContain(row('      --pull string', 'Pull image before running ("always", "missing", "never") (default "missing")'));
    expect(run.stdout).toContain(row('      --sig-proxy', 'Proxy received signals to the process (default true)'));
    expect((await docker('docker ps --help')).stdout).toContain('Aliases:\n  docker container ls, docker container list, docker container ps, docker ps\n');
    expect((await docker('docker help cp')).stdout).toContain(
      'Usage:  docker cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tdocker cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH\n',
    );
    // A deprecated spelling is accepted but not shown.
    expect((await docker('docker stop --help')).stdout).not.toContain('--time ');
    const container = await docker('docker container --help');
    expect(container.stdout).toContain('Usage:  docker container COMMAND\n\nManage containers\n\nCommands:\n  attach ');
    for (const c of [
      'cp',
      'create',
      'diff',
      'exec',
      'inspect',
      'kill',
      'logs',
      'ls',
      'pause',
      'prune',
      'rename',
      'restart',
      'rm',
      'run',
      'start',
      'stop',
      'top',
      'unpause',
      'wait',
    ]) {
      expect(container.stdout).toMatch(new RegExp(`\n  ${c} +\\S`));
      expect((await docker(`docker container ${c} --help`)).stdout).toContain(`Usage:  docker container ${c} `);
    }
    expect((await docker('docker volume --help')).stdout).toMatch(/Commands:\n  create +Create a volume\n  inspect .*\n  ls .*\n  prune .*\n  rm /);
    expect((await docker('docker node --help')).stdout).toMatch(
      /Commands:\n  create +Start a new node\n  inspect .*\n  ls .*\n  ps .*\n  rm .*\n  update +Update a node\n/,
    );
    expect((await docker('docker system --help')).stdout).toMatch(
      /Commands:\n  check +Check the engine.s store for missing and dangling data\n  df +Show docker disk usage\n  events .*\n  info .*\n  prune +Remove unused data\n/,
    );
  });

  it('prints help to stderr for a bare `docker` or `docker image`', async () => {
    expect(await docker('docker')).toMatchObject({ code: 0, stdout: '' });
    expect((await docker('docker')).stderr).toContain('Common Commands:');
    expect(await docker('docker image')).toMatchObject({ code: 0, stdout: '' });
  });

  it('prints the version with -v', async () => {
    expect(await docker('docker --version')).toEqual({ code: 0, stdout: 'Docker version 0.1.0, build browser\n', stderr: '' });
  });
});

describe('usage errors', () => {
  it('rejects unknown commands with exit 1', async () => {
    expect(await docker('docker foo')).toEqual({ code: 1, stdout: '', stderr: "docker: 'foo' is not a docker command.\nSee 'docker --help'\n" });
    const sub = await docker('docker image foo');
    expect(sub.code).toBe(1);
    expect(sub.stderr).toContain('Usage:  docker image COMMAND');
  });

  it('rejects unknown flags with exit 125', async () => {
    expect(await docker('docker pull --x busybox')).toEqual({ code: 125, stdout: '', stderr: "unknown flag: --x\nSee 'docker pull --help'.\n" });
    expect(await docker('docker image ls -z')).toEqual({ code: 125, stdout: '', stderr: "unknown shorthand flag: 'z' in -z\nSee 'docker image ls --help'.\n" });
    expect(await docker('docker --nope images')).toEqual({ code: 125, stdout: '', stderr: "unknown flag: --nope\nSee 'docker --help'.\n" });
    expect((await docker('docker images --filter dangling')).stderr).toBe(
      'invalid argument "dangling" for "-f, --filter" flag: bad format of filter (expected name=value)\nSee \'docker images --help\'.\n',
    );
  });

  it('checks argument counts with docker messages and exit 1', async () => {
    expect(await docker('docker tag busybox')).toEqual({
      code: 1,
      stdout: '',
      stderr:
        '"docker tag" requires exactly 2 arguments.\nSee \'docker tag --help\'.\n\nUsage:  docker tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n\nCreate a tag TARGET_IMAGE that refers to SOURCE_IMAGE\n',
    });
    expect((await docker('docker pull')).stderr).toMatch(/^"docker pull" requires exactly 1 argument\.\n/);
    expect((await docker('docker rmi')).stderr).toMatch(/^"docker rmi" requires at least 1 argument\.\n/);
    expect((await docker('docker images a b')).stderr).toMatch(/^"docker images" requires at most 1 argument\.\n/);
    expect((await docker('docker image prune x')).stderr).toMatch(/^"docker image prune" accepts no arguments\.\nSee 'docker image prune --help'\.\n/);
  });

  it('reports shell quoting errors', async () => {
    expect(await docker(`docker images --format '{{.ID}}`)).toEqual({
      code: 2,
      stdout: '',
      stderr: "sh: syntax error: unexpected EOF while looking for matching `''\n",
    });
  });
});

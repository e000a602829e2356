import { beforeAll, describe, expect, it } from 'vitest';
import { runDocker, VirtualFiles } from '../../../cli/docker.ts';
import type { Engine } from '../../../engine/engine.ts';
import { BUSYBOX_ID, dockerCommand, freshEngine, loadBusybox } from '../../support/cli-helpers.ts';

let engine: Engine;
beforeAll(async () => {
  ({ engine } = await freshEngine());
  await loadBusybox(engine);
});
const docker = (line: string) => dockerCommand(engine, line);

describe('docker version / info', () => {
  it('prints version like docker', async () => {
    expect(await docker('docker version')).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'Client:',
        ' Version:           0.1.0',
        ' API version:       1.47',
        ' OS/Arch:           browser/js',
        ' Context:           browser',
        '',
        'Server: Browser Container Engine',
        ' Engine:',
        '  Version:          0.1.0',
        '  API version:      1.47',
        '  OS/Arch:          browser/js',
        '',
      ].join('\n'),
    });
    expect((await docker(`docker version --format '{{.Server.Version}} {{.Client.ApiVersion}}'`)).stdout).toBe('0.1.0 1.47\n');
  });

  it('prints info, or a template of it', async () => {
    const r = await docker('docker info');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'Client:\n Version:    0.1.0\n Context:    browser\n Debug Mode: false\n\nServer:\n Containers: 0\n  Running: 0\n  Paused: 0\n  Stopped: 0\n Images: 1\n Nodes: 0\n Server Version: 0.1.0\n Storage Driver: indexeddb-snapshots\n',
    );
    expect((await docker('docker system info -f "{{.Images}} {{.Driver}} {{.ClientInfo.Context}}"')).stdout).toBe('1 indexeddb-snapshots browser\n');
    expect(JSON.parse((await docker('docker info --format json')).stdout)).toMatchObject({ Images: 1, Name: 'browser' });
  });
});

describe('docker events', () => {
  async function capture(args: string, act: () => Promise<void>): Promise<{ code: number; stdout: string }> {
    const ac = new AbortController();
    let stdout = '';
    const done = runDocker(engine, `docker events ${args}`, {
      stdout: (s) => (stdout += s),
      stderr: (s) => (stdout += s),
      isTTY: false,
      columns: 80,
      files: new VirtualFiles(),
      signal: ac.signal,
    });
    await new Promise((r) => setTimeout(r, 10));
    await act();
    await new Promise((r) => setTimeout(r, 10));
    ac.abort();
    return { code: await done, stdout };
  }

  it('streams events until interrupted', async () => {
    const r = await capture('', () => engine.images.tag('fixtures/busybox', 'ev:1'));
    expect(r.code).toBe(130);
    expect(r.stdout).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z image tag ${BUSYBOX_ID} \\(name=ev:1\\)\n$`));
  });

  it('formats and filters', async () => {
    const r = await capture(`--format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}' --filter event=untag`, async () => {
      await engine.images.tag('fixtures/busybox', 'ev:2');
      await engine.images.remove('ev:2');
    });
    expect(r.stdout).toBe('image untag ev:2\n');
    const none = await capture('--filter type=container', () => engine.images.tag('fixtures/busybox', 'ev:3'));
    expect(none.stdout).toBe('');
  });
});

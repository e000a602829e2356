// docker pull against a real registry (docker-registry serving the fixture images, read-only).
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../../engine/engine.ts';
import { dockerCommand, freshEngine, ttyCommand } from '../../support/cli-helpers.ts';
import { fixturesDir, loadFixtures, type RunningRegistry, startRegistry } from '../../support/registry.ts';

let registry: RunningRegistry;
let engine: Engine;
const fixtures = loadFixtures();
const busybox = fixtures.images['fixtures/busybox:latest']!;
const layerIds = busybox.layers!.map((l) => l.digest.slice(7, 19));

beforeAll(async () => {
  registry = await startRegistry({ dataDir: path.join(fixturesDir(), 'registry-data'), readOnly: true });
}, 30_000);
afterAll(() => registry?.stop());
beforeEach(async () => {
  ({ engine } = await freshEngine());
});

describe('docker pull', () => {
  it('prints each layer status once without a terminal', async () => {
    const name = `${registry.host}/fixtures/busybox`;
    const r = await dockerCommand(engine, `docker pull ${name}`);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const perLayer = (id: string) => ['Downloading', 'Verifying Checksum', 'Download complete', 'Extracting', 'Pull complete'].map((s) => `${id}: ${s}`);
    expect(r.stdout).toBe(
      [
        'Using default tag: latest',
        'latest: Pulling from fixtures/busybox',
        ...layerIds.map((id) => `${id}: Pulling fs layer`),
        ...layerIds.flatMap(perLayer),
        `Digest: ${busybox.digest}`,
        `Status: Downloaded newer image for ${name}:latest`,
        `${name}:latest`,
        '',
      ].join('\n'),
    );
    const again = await dockerCommand(engine, `docker pull ${name}:latest`);
    expect(again.stdout).toBe(
      [
        'latest: Pulling from fixtures/busybox',
        ...layerIds.map((id) => `${id}: Already exists`),
        `Digest: ${busybox.digest}`,
        `Status: Image is up to date for ${name}:latest`,
        `${name}:latest`,
        '',
      ].join('\n'),
    );
  });

  it('prints only the reference with -q', async () => {
    expect(await dockerCommand(engine, `docker image pull -q ${registry.host}/fixtures/sibling`)).toEqual({
      code: 0,
      stdout: `${registry.host}/fixtures/sibling:latest\n`,
      stderr: '',
    });
  });

  it('redraws progress lines on a terminal', async () => {
    const r = await ttyCommand(engine, `docker pull ${registry.host}/fixtures/busybox:latest`, { columns: 120 });
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith(`latest: Pulling from fixtures/busybox\n\n\x1b[1A\x1b[2K\r${layerIds[0]}: Pulling fs layer \r\x1b[1B`)).toBe(true);
    expect(r.stdout).toContain(`\x1b[2K\r${layerIds[0]}: Downloading [`);
    expect(r.stdout).toContain(`\x1b[${layerIds.length}A\x1b[2K\r${layerIds[0]}: Pull complete \r\x1b[${layerIds.length}B`);
    expect(
      r.stdout.endsWith(
        `\r\x1b[1BDigest: ${busybox.digest}\nStatus: Downloaded newer image for ${registry.host}/fixtures/busybox:latest\n${registry.host}/fixtures/busybox:latest\n`,
      ),
    ).toBe(true);
  });

  it('pulls by digest', async () => {
    const multi = fixtures.images['fixtures/multi:latest']!;
    const r = await dockerCommand(engine, `docker pull ${registry.host}/fixtures/multi@${multi.digest}`);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(`${multi.digest}: Pulling from fixtures/multi`);
    expect(r.stdout.endsWith(`${registry.host}/fixtures/multi@${multi.digest}\n`)).toBe(true);
  });

  it('reports registry errors as daemon errors with exit 1', async () => {
    const r = await dockerCommand(engine, `docker pull ${registry.host}/fixtures/nope:1`);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('1: Pulling from fixtures/nope\n');
    expect(r.stderr).toMatch(/^Error response from daemon: .*not found/);
    expect(await dockerCommand(engine, 'docker pull UPPER')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'invalid reference format: repository name (UPPER) must be lowercase\n',
    });
  });

  it('stops with status 130 when interrupted', async () => {
    const ac = new AbortController();
    ac.abort();
    const r = await ttyCommand(engine, `docker pull ${registry.host}/fixtures/busybox`, { signal: ac.signal });
    expect(r.code).toBe(130);
    expect(r.stderr).toBe('');
    expect((await dockerCommand(engine, 'docker images -q')).stdout).toBe('');
  });
});

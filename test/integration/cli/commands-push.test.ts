// docker push to the test registry (a real registry:2 on loopback): chunked uploads, layers the
// repository has skipped, cross-repository mounts, a built image pushed and pulled back by a
// fresh engine with the same digest.
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import type { VirtualFiles } from '../../../cli/virtual-files.ts';
import type { Engine } from '../../../engine/engine.ts';
import { containerEngine, dockerCommand } from '../../support/cli-helpers.ts';

let engine: Engine;
let files: VirtualFiles;
const docker = (line: string) => dockerCommand(engine, line, files);
const registry = inject('registry');
const run = `${Date.now().toString(36)}`;

beforeEach(async () => {
  ({ engine, files } = await containerEngine());
});
afterEach(async () => {
  await new Promise((r) => setTimeout(r, 60));
  engine.close();
});

describe('docker push', () => {
  it('pushes a pulled image, mounting its layers from the repository it came from, then skips them', async () => {
    const src = `${registry}/fixtures/busybox:latest`;
    expect((await docker(`docker pull -q ${src}`)).code).toBe(0);
    const target = `${registry}/pushed-${run}/busybox:v1`;
    expect((await docker(`docker tag ${src} ${target}`)).code).toBe(0);
    const first = await docker(`docker push ${target}`);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`The push refers to repository [${registry}/pushed-${run}/busybox]\n`);
    expect(first.stdout).toMatch(/[0-9a-f]{12}: Mounted from fixtures\/busybox\n/);
    const digest = /v1: digest: (sha256:[0-9a-f]{64}) size: \d+\n$/.exec(first.stdout)?.[1];
    expect(digest).toBe((await engine.images.inspect(src)).RepoDigests[0]!.split('@')[1]);
    const again = await docker(`docker push ${target}`);
    expect(again.stdout).toMatch(/[0-9a-f]{12}: Layer already exists\n/);
    expect(again.stdout).not.toContain('Pushed');
  });

  it('uploads a built image’s new layer in chunks; a fresh engine pulls the same image back', async () => {
    files.set('ctx/Dockerfile', new TextEncoder().encode('FROM test/tools\nCOPY big.bin /big.bin\nCMD ["echo", "pushed"]\n'));
    // Random bytes: they do not compress, so the layer needs two 5 MiB chunks.
    const big = new Uint8Array(6 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 65536) crypto.getRandomValues(big.subarray(i, i + 65536));
    files.set('ctx/big.bin', big);
    const target = `${registry}/built-${run}/app:1`;
    expect((await docker(`docker build -q -t ${target} ctx`)).code).toBe(0);
    const id = (await engine.images.inspect(target)).Id;
    const push = await docker(`docker push ${target}`);
    expect(push.code, push.stderr).toBe(0);
    expect(push.stdout.match(/: Pushed\n/g)?.length).toBeGreaterThanOrEqual(2);
    engine.close();
    ({ engine, files } = await containerEngine());
    const pull = await docker(`docker pull ${target}`);
    expect(pull.code, pull.stderr).toBe(0);
    expect((await engine.images.inspect(target)).Id).toBe(id);
    expect((await docker(`docker run --rm ${target}`)).stdout).toBe('pushed\n');
  });

  it('refuses an image that is not there, and a digest reference', async () => {
    expect((await docker(`docker push ${registry}/nothere:1`)).stderr).toContain('An image does not exist locally with the tag');
    expect((await docker(`docker push ${registry}/x@sha256:${'0'.repeat(64)}`)).code).toBe(1);
  });
});

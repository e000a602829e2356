// docker run of an image that is not there yet: the pull from the test registry (the one case of
// commands-container.test.ts that needs a registry, kept here so that file stays a unit test).
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import type { VirtualFiles } from '../../../cli/virtual-files.ts';
import type { Engine } from '../../../engine/engine.ts';
import { containerEngine, dockerCommand } from '../../support/cli-helpers.ts';

let engine: Engine;
let files: VirtualFiles;
const docker = (line: string, stdin?: string) => dockerCommand(engine, line, files, stdin === undefined ? {} : { stdin });

beforeEach(async () => {
  ({ engine, files } = await containerEngine());
});
// The engine writes logs in batches a few milliseconds apart: let the last one land before closing.
afterEach(async () => {
  await new Promise((r) => setTimeout(r, 60));
  engine.close();
});

describe('docker run', () => {
  it('pulls a missing image first, printing the pull on stderr', async () => {
    const ref = `${inject('registry')}/fixtures/hello-wasm`;
    const r = await docker(`docker run ${ref}`);
    expect(r.stderr).toMatch(new RegExp(`^Unable to find image '${ref}:latest' locally\nlatest: Pulling from fixtures/hello-wasm\n`));
    expect(r.stderr).toContain(`Status: Downloaded newer image for ${ref}:latest\n`);
    expect((await docker('docker images -q')).stdout.trim().split('\n')).toHaveLength(2);
    // Present now: no pull; with --pull always a quiet pull says nothing.
    expect((await docker(`docker create ${ref}`)).stderr).toBe('');
    expect(await docker(`docker create -q --pull always ${ref}`)).toMatchObject({ code: 0, stderr: '' });
  });
});

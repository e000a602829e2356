// The tar reader and `docker load` under near-valid hostile archives (test/support/fuzz/), with
// CI's fixed seed and few runs; `npm run bench:fuzz` runs long campaigns of the same properties.
import { test } from '@fast-check/vitest';
import { describe } from 'vitest';
import { CI_SEED } from '../../support/fuzz/fuzz-property.ts';
import { tarProperties } from '../../support/fuzz/tar-properties.ts';

describe('fuzz: tar and docker load', () => {
  for (const p of tarProperties) test.prop([p.arbitrary], { seed: CI_SEED, numRuns: p.ciRuns })(p.name, (input) => p.check(input));
});

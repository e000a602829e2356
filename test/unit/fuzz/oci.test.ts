// Manifests, indexes, image configs, references and digests under near-valid hostile input
// (test/support/fuzz/), with CI's fixed seed and few runs.
import { test } from '@fast-check/vitest';
import { describe } from 'vitest';
import { CI_SEED } from '../../support/fuzz/fuzz-property.ts';
import { ociProperties } from '../../support/fuzz/oci-properties.ts';

describe('fuzz: OCI formats', () => {
  for (const p of ociProperties) test.prop([p.arbitrary], { seed: CI_SEED, numRuns: p.ciRuns })(p.name, (input) => p.check(input));
});

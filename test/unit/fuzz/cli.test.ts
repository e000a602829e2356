// The command line, flags and --format templates under near-valid hostile input
// (test/support/fuzz/), with CI's fixed seed and few runs.
import { test } from '@fast-check/vitest';
import { describe } from 'vitest';
import { cliProperties } from '../../support/fuzz/cli-properties.ts';
import { CI_SEED } from '../../support/fuzz/fuzz-property.ts';

describe('fuzz: the command line', () => {
  for (const p of cliProperties) test.prop([p.arbitrary], { seed: CI_SEED, numRuns: p.ciRuns })(p.name, (input) => p.check(input));
});

// bench/fuzz: long fuzzing campaigns over the properties the unit tests run briefly
// (test/support/fuzz/): a random seed (printed), and for each property the runs done, runs/s
// and any counterexample with the seed and path that replay it.
// Run: npm run bench:fuzz   env: SECONDS per property (default 30), RUNS (cap, default none),
// SEED (replay), FILTER (property-name substring, e.g. FILTER=tar), PATH_ (replay path with SEED).
import fc from 'fast-check';
import { ALL_PROPERTIES } from '../test/support/fuzz/properties.ts';

const seconds = Number(process.env.SECONDS ?? 30);
const runs = process.env.RUNS ? Number(process.env.RUNS) : Number.MAX_SAFE_INTEGER;
const seed = process.env.SEED ? Number(process.env.SEED) : (Math.random() * 2 ** 31) | 0;
const filter = process.env.FILTER ?? '';
const path = process.env.PATH_;
const progress = (s: string) => process.stderr.write(`[bench:fuzz] ${s}\n`);

const chosen = ALL_PROPERTIES.filter((p) => p.name.includes(filter));
if (chosen.length === 0) throw new Error(`no property matches FILTER=${filter}; there are: ${ALL_PROPERTIES.map((p) => p.name).join(', ')}`);
progress(`seed ${seed}, ${seconds} s per property${process.env.RUNS ? `, at most ${runs} runs` : ''}: ${chosen.map((p) => p.name).join(', ')}`);

let failed = 0;
for (const p of chosen) {
  const start = performance.now();
  const details = await fc.check(
    fc.asyncProperty(p.arbitrary, (input) => p.check(input)),
    { seed, numRuns: runs, interruptAfterTimeLimit: seconds * 1000, markInterruptAsFailure: false, ...(path ? { path } : {}) },
  );
  const took = (performance.now() - start) / 1000;
  const line = `${p.name.padEnd(14)} ${String(details.numRuns).padStart(8)} runs  ${(details.numRuns / took).toFixed(0).padStart(6)} runs/s`;
  if (!details.failed) {
    console.log(`${line}  ok${details.interrupted ? '' : ' (run cap reached)'}`);
    continue;
  }
  failed++;
  const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  const example = fc.stringify(details.counterexample);
  console.log(`${line}  FAILED: ${cause}`);
  console.log(`  counterexample: ${example.length > 2000 ? `${example.slice(0, 2000)}… (${example.length} chars)` : example}`);
  console.log(`  replay: SEED=${details.seed} PATH_=${details.counterexamplePath} FILTER=${p.name} npm run bench:fuzz`);
}
process.exitCode = failed ? 1 : 0;

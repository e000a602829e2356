// `npm run build:package`: builds the npm package into lib/ (scripts/package/build-package.ts) and
// prints what a page downloads from it, gzipped (scripts/package/bundle-sizes.ts).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPackage } from './build-package.ts';
import { packageSizes } from './bundle-sizes.ts';

const outDir = fileURLToPath(new URL('../../lib', import.meta.url));
const started = performance.now();
await buildPackage(outDir);
const sizes = await packageSizes(outDir);
const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`.padStart(10);
console.log(`package built in ${path.relative(process.cwd(), outDir) || '.'}/ in ${((performance.now() - started) / 1000).toFixed(1)} s; gzipped:`);
console.log(`  engine core (createEngine and its imports)  ${kib(sizes.core)}`);
console.log(`  Workers an engine starts                     ${kib(sizes.workers)}`);
console.log(`  CLI, beyond the core                         ${kib(sizes.cli)}`);
console.log(`  <container-sandbox>, beyond the core         ${kib(sizes.element)}`);
console.log(`  x86 executor, on the first linux/386 run     ${kib(sizes.x86)}`);

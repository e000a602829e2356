// The lwIP wasm module set-up builds (scripts/lwip/build.sh), for tests that run the engine's
// TCP/IP stack in Node.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const WASM = path.join(root, '.cache/lwip/lwip.wasm');

export function loadLwipModule(): WebAssembly.Module {
  if (!existsSync(WASM)) throw new Error(`${WASM} is missing: set-up builds it (\`bash scripts/setup.sh --test\`, or \`bash scripts/lwip/build.sh\`)`);
  return new WebAssembly.Module(readFileSync(WASM));
}

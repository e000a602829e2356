import { defineConfig } from 'vitest/config';

// Three projects, by what the tests need:
//   unit         Node only, no set-up at all: no registry, no built fixtures, no guest kit, no Chromium
//                (`npm run test:unit`, seconds).
//   integration  Node, with real docker-registry processes, the fixtures and the guest kit built by
//                `bash scripts/setup.sh --test`.
//   browser      a real Chromium driving the engine in a page served by Vite, against real registries.
// Global setups run only for the projects that list them (none at the root: the root's would run
// for every project); the registries are shared when both integration and browser run.
const REGISTRIES = 'test/support/registries-setup.ts';
const VITE = 'test/support/vite-setup.ts';

export default defineConfig({
  test: {
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Browser tests each drive a Chromium; two cores do not gain from running many at once.
    maxWorkers: 2,
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'], globalSetup: [REGISTRIES] } },
      { extends: true, test: { name: 'browser', include: ['test/browser/**/*.test.ts'], globalSetup: [REGISTRIES, VITE] } },
    ],
  },
});

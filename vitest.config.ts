import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Browser tests each drive a Chromium; two cores do not gain from running many at once.
    maxWorkers: 2,
    reporters: ['default'],
  },
});

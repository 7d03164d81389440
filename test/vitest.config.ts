import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Fails a test during which NATS refused a client something (see the file).
    setupFiles: ['src/harness/setup.ts'],
    // Real servers and services start inside tests: generous limits, and one file at a time (2 cores).
    testTimeout: 180_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
  },
});

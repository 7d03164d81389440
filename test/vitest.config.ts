import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Fails a test during which NATS refused a client something (see the file).
    setupFiles: ['src/harness/setup.ts'],
    // Real servers and services start inside tests: generous limits, and one file at a time (2 cores).
    testTimeout: 180_000,
    hookTimeout: 120_000,
    // expect.poll waits here for conditions that cross real services (an api → engine → event → UI
    // round trip); vitest's 1 s default failed such waits on a busy machine. A poll still ends at
    // once when its condition holds.
    expect: { poll: { timeout: 60_000 } },
    fileParallelism: false,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
  },
});

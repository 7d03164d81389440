import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // A cap, not a timing assertion: some tests start a real nats-server or build the app, and a
    // busy 2-core machine can take longer than vitest's 5 s default.
    testTimeout: 30_000,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
  },
});

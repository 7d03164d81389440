import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Builds images and runs a whole deployment (two stacks) under a private dockerd: the steps
    // share one deployment and run in order; the waits are long on a busy 2-core machine.
    testTimeout: 600_000,
    hookTimeout: 1_200_000,
    fileParallelism: false,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
  },
});

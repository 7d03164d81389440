import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Some unit tests write and read real files (tens of MiB) and hash them: on a busy 2-core
    // machine 5 s (vitest's default) is not always enough. A cap, not a timing assertion.
    testTimeout: 30_000,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
  },
});

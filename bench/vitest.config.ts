import { defineConfig } from 'vitest/config';

// Benchmarks (timing goals live here, not in the tests): `npx vitest run --config bench/vitest.config.ts`
export default defineConfig({
  test: {
    root: new URL('.', import.meta.url).pathname,
    include: ['**/*.bench.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'libs/*/src/**/*.spec.ts',
            'apps/*/src/**/*.spec.ts',
            'tools/*/src/**/*.spec.ts',
            'bench/**/*.spec.ts',
            'test/unit/**/*.spec.ts',
          ],
          exclude: ['bench/dist/**'],
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.e2e.test.ts'],
          // Each file starts its own Redis, gateways and workers; one file at a time keeps 2 cores honest.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});

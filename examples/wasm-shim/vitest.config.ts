import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // the end-to-end and backend tests count the runner processes left behind: one file at a time
    fileParallelism: false,
  },
});

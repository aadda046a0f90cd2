import { defineConfig } from 'vitest/config';

export default defineConfig({
  // tsyringe uses legacy (experimentalDecorators) parameter decorators; vite's oxc transform needs to be told.
  oxc: { decorator: { legacy: true } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});

import { defineConfig } from 'vitest/config';

// Runs the fixture of skip-reason.test.ts (never part of the package's own test run).
export default defineConfig({
  test: { include: ['**/*.fixture.ts'] },
});

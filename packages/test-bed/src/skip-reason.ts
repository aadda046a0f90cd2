// Tests that need something a machine may lack (root, kubectl, script(1)) are skipped with the
// reason, which the run's summary lists (scripts/skipped-tests-reporter.mjs), never silently.
import type { TestOptions } from 'vitest';

declare module 'vitest' {
  interface TaskMeta {
    /** Why the test or suite is skipped; the run's summary lists it. */
    skipReason?: string;
  }
}

/**
 * Options for `describe(name, options, fn)` or `it(name, options, fn)`: nothing when `condition`
 * holds, otherwise skipped, with `reason`.
 */
export function runIf(condition: boolean, reason: string): TestOptions {
  return condition ? {} : { skip: true, meta: { skipReason: reason } };
}

/** Skips unless the tests run as root, naming what needs it. */
export function asRoot(what: string): TestOptions {
  return runIf(process.getuid?.() === 0, `needs root (${what})`);
}

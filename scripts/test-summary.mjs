// Adds up vitest's per-package "Tests" lines from a `npm test` log and prints one
// plain closing line ("N passed, N failed") for the whole monorepo.
import { readFileSync } from 'node:fs';

const log = readFileSync(process.argv[2] ?? 0, 'utf8').replace(/\x1b\[[0-9;]*m/g, '');
let passed = 0;
let failed = 0;
let skipped = 0;
for (const line of log.split('\n')) {
  const tests = /\bTests\s+(.*)\(\d+\)\s*$/.exec(line);
  if (!tests) continue;
  for (const [, count, kind] of tests[1].matchAll(/(\d+)\s+(passed|failed|skipped)/g)) {
    if (kind === 'passed') passed += Number(count);
    else if (kind === 'failed') failed += Number(count);
    else skipped += Number(count);
  }
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);

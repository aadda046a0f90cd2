// Adds up vitest's per-package "Tests" lines from a `npm test` log and prints one plain closing
// line ("N passed, N failed, N skipped") for the whole monorepo. Above it, the skipped tests
// grouped by the reason they gave (the lines of scripts/skipped-tests-reporter.mjs), so a test
// that needs a missing tool says so instead of passing silently.
import { readFileSync } from 'node:fs';

const log = readFileSync(process.argv[2] ?? 0, 'utf8').replace(/\x1b\[[0-9;]*m/g, '');
let passed = 0;
let failed = 0;
let skipped = 0;
/** reason -> the skipped tests giving it */
const reasons = new Map();
for (const line of log.split('\n')) {
  const skip = /skipped test: (.*) \| reason: (.*)$/.exec(line);
  if (skip) {
    const [, test, reason] = skip;
    reasons.set(reason, [...(reasons.get(reason) ?? []), test]);
    continue;
  }
  const tests = /\bTests\s+(.*)\(\d+\)\s*$/.exec(line);
  if (!tests) continue;
  for (const [, count, kind] of tests[1].matchAll(/(\d+)\s+(passed|failed|skipped)/g)) {
    if (kind === 'passed') passed += Number(count);
    else if (kind === 'failed') failed += Number(count);
    else skipped += Number(count);
  }
}
if (reasons.size > 0) {
  console.log('Skipped tests, by reason:');
  for (const [reason, tests] of reasons) {
    console.log(`  ${reason} (${tests.length}):`);
    for (const test of tests) console.log(`    ${test}`);
  }
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);

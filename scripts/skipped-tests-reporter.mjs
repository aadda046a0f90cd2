// A vitest reporter that prints one line for each skipped test with the reason it was skipped:
// the note of `ctx.skip(note)`, or the `meta.skipReason` of the test or a suite around it (see
// test-bed's runIf). scripts/test-summary.mjs gathers these lines into the run's summary.
// `npm test` adds it beside the default reporter for every package.
import { relative, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '..');

/** The reason a skipped test gives, from its result or the nearest meta that has one. */
function reasonOf(testCase) {
  const note = testCase.result().note;
  if (note) return note;
  for (let task = testCase; task !== undefined && task.type !== 'module'; task = task.parent) {
    const reason = task.meta().skipReason;
    if (reason) return reason;
  }
  return 'no reason given';
}

export default class SkippedTestsReporter {
  onTestRunEnd(testModules) {
    for (const testModule of testModules) {
      for (const testCase of testModule.children.allTests('skipped')) {
        if (testCase.options.mode === 'todo') continue;
        const file = relative(REPO, testModule.moduleId);
        console.log(`skipped test: ${file} > ${testCase.fullName} | reason: ${reasonOf(testCase)}`);
      }
    }
  }
}

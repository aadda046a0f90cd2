// The run's summary lists skipped tests by their reason: a child vitest runs a fixture with the
// repository's skip reporter, and scripts/test-summary.mjs reads its output as CI does.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { runIf } from '../src/skip-reason.js';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./skip-fixtures', import.meta.url));
const FIXTURE = 'packages/test-bed/test/skip-fixtures/skips.fixture.ts';

let dir: string | undefined;
afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

it('runIf gives no options when the condition holds, else a skip with its reason', () => {
  expect(runIf(true, 'why')).toEqual({});
  expect(runIf(false, 'why')).toEqual({ skip: true, meta: { skipReason: 'why' } });
});

it('the summary lists each skipped test under its reason, "no reason given" where it gave none', async () => {
  const vitest = join(REPO, 'node_modules', 'vitest', 'vitest.mjs');
  const reporter = join(REPO, 'scripts', 'skipped-tests-reporter.mjs');
  const args = [vitest, 'run', '--config', join(FIXTURES, 'vitest.config.ts'), '--root', FIXTURES, '--reporter=default', `--reporter=${reporter}`];
  const { stdout } = await run(process.execPath, args, { cwd: FIXTURES, timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
  dir = await mkdtemp(join(tmpdir(), 'skip-summary-'));
  await writeFile(join(dir, 'test.log'), stdout);
  const summary = (await run(process.execPath, [join(REPO, 'scripts', 'test-summary.mjs'), join(dir, 'test.log')])).stdout;
  expect(summary).toBe(
    [
      'Skipped tests, by reason:',
      '  frobnicate is not installed (2):',
      `    ${FIXTURE} > a suite that needs a missing tool > first case`,
      `    ${FIXTURE} > a suite that needs a missing tool > second case`,
      '  no frob found at run time (1):',
      `    ${FIXTURE} > a case skipped at run time`,
      '  no reason given (1):',
      `    ${FIXTURE} > a case skipped without a reason`,
      '2 passed, 0 failed, 4 skipped',
      '',
    ].join('\n'),
  );
});

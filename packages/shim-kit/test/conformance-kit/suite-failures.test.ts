// The conformance suites must fail where an implementation is wrong, naming what is wrong: run
// them (in a child vitest) on a backend with two faults and on a socket nobody serves.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const VITEST = fileURLToPath(new URL('../../../../node_modules/vitest/vitest.mjs', import.meta.url));

interface AssertionResult {
  title: string;
  status: 'passed' | 'failed' | 'skipped' | 'pending';
  failureMessages: string[];
}

let out: string;
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'shimkit-suite-failures-'));
});
afterAll(async () => {
  if (out !== undefined) await rm(out, { recursive: true, force: true });
});

/** Runs one fixture file in a child vitest: its cases by name (`[name] title`) and what it printed. */
async function runFixture(file: string): Promise<{ cases: Map<string, AssertionResult>; output: string }> {
  const report = join(out, `${file}.json`);
  const args = [VITEST, 'run', '--config', join(FIXTURES, 'vitest.config.ts'), '--root', FIXTURES, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, file];
  // the child exits 1 when cases fail, which is the point here; a failed hook shows only in its output
  const output = await run(process.execPath, args, { cwd: FIXTURES, timeout: 120_000, env: { ...process.env, NO_COLOR: '1' } }).then(
    (r) => r.stdout + r.stderr,
    (e: { stdout?: string; stderr?: string }) => `${e.stdout ?? ''}${e.stderr ?? ''}`,
  );
  const json = JSON.parse(await readFile(report, 'utf8')) as { testResults: { assertionResults: AssertionResult[] }[] };
  const cases = new Map(json.testResults.flatMap((r) => r.assertionResults).map((a) => [a.title.slice(1, a.title.indexOf(']')), a]));
  return { cases, output };
}

describe('the conformance suites catch what is wrong', () => {
  it('fail exactly the RuntimeBackend cases a broken backend breaks, with messages naming the fault', async () => {
    const { cases } = await runFixture('broken-backend.fixture.ts');
    const failed = [...cases].filter(([, a]) => a.status === 'failed').map(([name]) => name).sort();
    // every exit reading as 0 breaks each case that checks a code; the strict remove breaks the idempotent ones
    expect(failed).toEqual(['exit-codes', 'exit-events', 'idempotent-stop-remove', 'lifecycle', 'oom', 'status-fields', 'stop-timeout', 'unknown-ids']);
    expect(cases.get('exit-codes')?.failureMessages.join('\n')).toMatch(/exitCode/);
    expect(cases.get('unknown-ids')?.failureMessages.join('\n')).toContain('container no-such-container-conformance not found');
    expect([...cases].filter(([, a]) => a.status === 'passed').map(([name]) => name)).toEqual(expect.arrayContaining(['info', 'exec-timeout', 'stats', 'remove-running', 'already-exists']));
    expect(cases.get('logs')?.status).toBe('skipped');
  });

  it('pass no CRI case against a socket nobody serves, and name the socket', async () => {
    const { cases, output } = await runFixture('missing-socket.fixture.ts');
    expect(cases.size).toBeGreaterThan(15);
    for (const [name, result] of cases) expect(result.status, name).not.toBe('passed');
    expect(output).toMatch(/no socket at \/tmp\/shimkit-no-such-runtime-\d+\.sock/);
  });
});

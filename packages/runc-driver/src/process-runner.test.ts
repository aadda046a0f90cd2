import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ProcessRunner, RunnerSpawnError } from './process-runner.js';

const dir = mkdtempSync(join(tmpdir(), 'runner-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sh = (script: string): string[] => ['sh', '-c', script];
const text = (b: Buffer): string => b.toString();

/** pids of the processes whose command line holds `marker`. */
function processesWith(marker: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

// The same behaviour whether the Perl runner or the spawn fallback (no perl) runs the job.
describe.each([
  ['the perl runner', () => new ProcessRunner()],
  ['the spawn fallback', () => new ProcessRunner('/nonexistent/perl')],
])('ProcessRunner through %s', (_name, make) => {
  let runner: ProcessRunner;
  afterEach(() => runner.close());

  it('returns exit code, stdout and stderr, and passes stdin, env and cwd', async () => {
    runner = make();
    const r = await runner.run({ argv: sh('cat; echo "$GREETING" >&2; pwd; exit 3'), stdin: 'in\n', env: { GREETING: 'hi there' }, cwd: dir, stdout: 'pipe', stderr: 'pipe' });
    expect(r).toMatchObject({ exitCode: 3, signal: null, lines: [] });
    expect(text(r.stdout)).toBe(`in\n${dir}\n`);
    expect(text(r.stderr)).toBe('hi there\n');
  });

  it('discards output it is not asked for and appends to a file', async () => {
    runner = make();
    const file = join(dir, `append-${_name.length}.log`);
    await runner.run({ argv: sh('echo first >&2'), stderr: { append: file } });
    const r = await runner.run({ argv: sh('echo out; echo second >&2'), stderr: { append: file } });
    expect(text(r.stdout)).toBe('');
    expect(readFileSync(file, 'utf8')).toBe('first\nsecond\n');
  });

  it('hands pipes on fd 3 and 4: the first line of one (even from a child left behind), bytes to read on the other', async () => {
    runner = make();
    const r = await runner.run({ argv: sh('read start <&4; (sleep 0.2; echo "late $start" >&3; echo more >&3) & exit 0'), extraFds: ['line', 'go\n'] });
    expect(r).toMatchObject({ exitCode: 0, lines: ['late go'] });
  });

  it('holds a pipe open until its promise resolves; a rejection kills the program', async () => {
    runner = make();
    let open!: (data: string) => void;
    let ended = false;
    const job = runner.run({ argv: sh('read word <&3; echo "got $word"'), stdout: 'pipe', extraFds: [new Promise<string>((resolve) => (open = resolve))] });
    void job.then(() => (ended = true));
    await new Promise((r) => setTimeout(r, 150));
    expect(ended).toBe(false);
    open('go\n');
    expect(text((await job).stdout)).toBe('got go\n');
    const refused = runner.run({ argv: sh('read word <&3; echo "got $word"'), stdout: 'pipe', extraFds: [Promise.reject(new Error('no'))] });
    expect(await refused).toMatchObject({ signal: 'SIGKILL', stdout: Buffer.alloc(0) });
  });

  it('reports a signal that ended the program', async () => {
    runner = make();
    expect(await runner.run({ argv: sh('kill -TERM $$') })).toMatchObject({ exitCode: null, signal: 'SIGTERM' });
  });

  it('fails with the errno name when the program or the directory is missing', async () => {
    runner = make();
    await expect(runner.run({ argv: ['/nonexistent/program'] })).rejects.toMatchObject({ name: 'RunnerSpawnError', code: 'ENOENT' });
    await expect(runner.run({ argv: ['true'], cwd: join(dir, 'missing') })).rejects.toBeInstanceOf(RunnerSpawnError);
    expect((await runner.run({ argv: ['true'] })).exitCode).toBe(0);
  });

  it('an abort kills the program and stops waiting for its output', async () => {
    runner = make();
    const marker = `runner-abort-${process.pid}-${_name.length}`;
    const controller = new AbortController();
    // the grandchild keeps stdout open after its parent is killed
    const job = runner.run({ argv: sh(`(exec perl -e 'sleep 30' ${marker}) & exec perl -e 'sleep 30' ${marker}`), stdout: 'pipe', signal: controller.signal });
    await expect.poll(() => processesWith(marker).length).toBe(2);
    controller.abort(new Error('enough'));
    expect(await job).toMatchObject({ signal: 'SIGKILL' });
    const left = processesWith(marker);
    expect(left).toHaveLength(1); // the grandchild, which nothing waited for
    for (const pid of left) process.kill(Number(pid), 'SIGKILL');
    await expect(runner.run({ argv: ['true'], signal: controller.signal })).rejects.toThrow('enough');
  });

  it('runs jobs at once and answers each with its own result', async () => {
    runner = make();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => runner.run({ argv: sh(`sleep 0.0${i % 5}; echo ${i}`), stdout: 'pipe' })));
    expect(results.map((r) => text(r.stdout))).toEqual(Array.from({ length: 20 }, (_, i) => `${i}\n`));
  });
});

describe('ProcessRunner process', () => {
  it('fails the jobs of a runner that died and starts a new one for the next job', async () => {
    const runner = new ProcessRunner();
    const marker = `runner-death-${process.pid}`;
    const job = runner.run({ argv: ['perl', '-e', 'sleep 30', marker] });
    const pid = runner.pid;
    expect(pid).toBeGreaterThan(0);
    await expect.poll(() => processesWith(marker).length).toBe(1);
    process.kill(pid as number, 'SIGKILL');
    await expect(job).rejects.toThrow('the process runner exited (SIGKILL)');
    for (const orphan of processesWith(marker)) process.kill(Number(orphan), 'SIGKILL');
    expect((await runner.run({ argv: ['echo', 'again'], stdout: 'pipe' })).stdout.toString()).toBe('again\n');
    expect(runner.pid).not.toBe(pid);
    runner.close();
  });

  it('a program waiting on a held pipe never goes on without its data: killed when the runner is closed or dies', async () => {
    const runner = new ProcessRunner();
    const waiting = runner.run({ argv: sh('read word <&3; echo "got $word"'), stdout: 'pipe', extraFds: [new Promise<string>(() => undefined)] });
    await expect.poll(() => runner.pid).toBeGreaterThan(0);
    runner.close();
    expect(await waiting).toMatchObject({ signal: 'SIGKILL', stdout: Buffer.alloc(0) });

    const marker = `runner-held-${process.pid}`;
    const other = new ProcessRunner();
    const parked = other.run({ argv: ['perl', '-e', 'my $x = <STDIN>; open(my $f, "<&=3"); my $y = <$f>; print "went on\n"', marker], extraFds: [new Promise<string>(() => undefined)] });
    parked.catch(() => undefined);
    await expect.poll(() => processesWith(marker).length).toBe(1);
    process.kill(other.pid as number, 'SIGKILL');
    await expect(parked).rejects.toThrow('the process runner exited');
    await expect.poll(() => processesWith(marker).length).toBe(0);
  });

  it('close() ends the runner process', async () => {
    const runner = new ProcessRunner();
    await runner.run({ argv: ['true'] });
    const pid = runner.pid as number;
    runner.close();
    expect(runner.pid).toBeUndefined();
    await expect.poll(() => {
      try {
        process.kill(pid, 0);
        return 'alive';
      } catch {
        return 'gone';
      }
    }).toBe('gone');
  });
});

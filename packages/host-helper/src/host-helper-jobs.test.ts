import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { HostHelper } from './host-helper.js';
import { alive, killAll, processesWith, sh, sleeper } from './test-support.test-helper.js';

const dir = mkdtempSync(join(tmpdir(), 'helper-jobs-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const text = (b: Buffer): string => b.toString();

describe('HostHelper.run', () => {
  let helper: HostHelper;
  afterEach(() => helper.close());

  it('returns exit code, stdout and stderr, and passes stdin, env and cwd', async () => {
    helper = new HostHelper();
    const r = await helper.run({ argv: sh('cat; echo "$GREETING" >&2; pwd; exit 3'), stdin: 'in\n', env: { GREETING: 'hi there' }, cwd: dir, stdout: 'pipe', stderr: 'pipe' });
    expect(r).toMatchObject({ exitCode: 3, signal: null, lines: [] });
    expect(text(r.stdout)).toBe(`in\n${dir}\n`);
    expect(text(r.stderr)).toBe('hi there\n');
  });

  it('keeps the environment it started with under the job env, and finds programs on the new PATH', async () => {
    helper = new HostHelper();
    const r = await helper.run({ argv: sh('echo "$HOME|$EXTRA"'), env: { EXTRA: 'x' }, stdout: 'pipe' });
    expect(text(r.stdout)).toBe(`${process.env['HOME']}|x\n`);
  });

  it('discards output it is not asked for and appends to a file', async () => {
    helper = new HostHelper();
    const file = join(dir, 'append.log');
    await helper.run({ argv: sh('echo first >&2'), stderr: { append: file } });
    const r = await helper.run({ argv: sh('echo out; echo second >&2'), stderr: { append: file } });
    expect(text(r.stdout)).toBe('');
    expect(readFileSync(file, 'utf8')).toBe('first\nsecond\n');
  });

  it('hands pipes on fd 3 and 4: the first line of one (even from a child left behind), bytes to read on the other', async () => {
    helper = new HostHelper();
    const r = await helper.run({ argv: sh('read start <&4; (sleep 0.2; echo "late $start" >&3; echo more >&3) & exit 0'), extraFds: ['line', 'go\n'] });
    expect(r).toMatchObject({ exitCode: 0, lines: ['late go'] });
  });

  it('holds a pipe open until its promise resolves; a rejection kills the program', async () => {
    helper = new HostHelper();
    let open!: (data: string) => void;
    let ended = false;
    const job = helper.run({ argv: sh('read word <&3; echo "got $word"'), stdout: 'pipe', extraFds: [new Promise<string>((resolve) => (open = resolve))] });
    void job.then(() => (ended = true));
    await new Promise((r) => setTimeout(r, 150));
    expect(ended).toBe(false);
    open('go\n');
    expect(text((await job).stdout)).toBe('got go\n');
    const refused = helper.run({ argv: sh('read word <&3; echo "got $word"'), stdout: 'pipe', extraFds: [Promise.reject(new Error('no'))] });
    expect(await refused).toMatchObject({ signal: 'SIGKILL', stdout: Buffer.alloc(0) });
  });

  it('reports a signal that ended the program', async () => {
    helper = new HostHelper();
    expect(await helper.run({ argv: sh('kill -TERM $$') })).toMatchObject({ exitCode: null, signal: 'SIGTERM' });
  });

  it('fails with the errno name when the program or the directory is missing', async () => {
    helper = new HostHelper();
    await expect(helper.run({ argv: ['/nonexistent/program'] })).rejects.toMatchObject({ name: 'RunnerSpawnError', code: 'ENOENT', message: expect.stringContaining('/nonexistent/program') });
    await expect(helper.run({ argv: ['true'], cwd: join(dir, 'missing') })).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining(join(dir, 'missing')) });
    await expect(helper.run({ argv: ['true'], stderr: { append: join(dir, 'missing', 'log') } })).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await helper.run({ argv: ['true'] })).exitCode).toBe(0);
  });

  it('keeps at most 16 MiB of a stream', async () => {
    helper = new HostHelper();
    const r = await helper.run({ argv: sh('head -c 20000000 /dev/zero'), stdout: 'pipe' });
    expect(r.stdout.length).toBe(16 * 1024 * 1024);
  });

  it('an abort kills the program and stops waiting for its output', async () => {
    helper = new HostHelper();
    const { argv, marker } = sleeper();
    const controller = new AbortController();
    // the grandchild keeps stdout open after its parent is killed
    const job = helper.run({ argv: sh(`${argv.join(' ')} & exec ${argv.join(' ')}`), stdout: 'pipe', signal: controller.signal });
    await expect.poll(() => processesWith(marker).length).toBe(2);
    controller.abort(new Error('enough'));
    expect(await job).toMatchObject({ signal: 'SIGKILL' });
    expect(processesWith(marker)).toHaveLength(1); // the grandchild, which nothing waited for
    killAll(marker);
    await expect(helper.run({ argv: ['true'], signal: controller.signal })).rejects.toThrow('enough');
  });

  it('runs jobs at once and answers each with its own result', async () => {
    helper = new HostHelper();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => helper.run({ argv: sh(`sleep 0.0${i % 5}; echo ${i}`), stdout: 'pipe' })));
    expect(results.map((r) => text(r.stdout))).toEqual(Array.from({ length: 20 }, (_, i) => `${i}\n`));
  });
});

describe('HostHelper process', () => {
  it('says what is missing when the helper program is not there', async () => {
    const helper = new HostHelper({ binary: join(dir, 'no-helper') });
    await expect(helper.run({ argv: ['true'] })).rejects.toMatchObject({ name: 'HostHelperError', code: 'HELPER_MISSING', message: expect.stringContaining(join(dir, 'no-helper')) });
  });

  it('fails what a dead helper had not answered and starts a new one for the next call', async () => {
    const helper = new HostHelper();
    const { argv, marker } = sleeper();
    const job = helper.run({ argv });
    await expect.poll(() => processesWith(marker).length).toBe(1);
    const pid = helper.pid as number;
    process.kill(pid, 'SIGKILL');
    await expect(job).rejects.toMatchObject({ code: 'HELPER_DIED', message: expect.stringContaining('SIGKILL') });
    killAll(marker);
    expect(text((await helper.run({ argv: ['echo', 'again'], stdout: 'pipe' })).stdout)).toBe('again\n');
    expect(helper.pid).not.toBe(pid);
    await helper.close();
  });

  it('a program waiting on a held pipe never goes on without its data: killed when the helper is closed or dies', async () => {
    const helper = new HostHelper();
    const waiting = helper.run({ argv: sh('read word <&3; echo "got $word"'), stdout: 'pipe', extraFds: [new Promise<string>(() => undefined)] });
    await expect.poll(() => helper.pid).toBeGreaterThan(0);
    await helper.close();
    expect(await waiting).toMatchObject({ signal: 'SIGKILL', stdout: Buffer.alloc(0) });

    const other = new HostHelper();
    const { argv, marker } = sleeper();
    const parked = other.run({ argv: sh(`exec ${argv.join(' ')}`), extraFds: [new Promise<string>(() => undefined)] });
    parked.catch(() => undefined);
    await expect.poll(() => processesWith(marker).length).toBe(1);
    process.kill(other.pid as number, 'SIGKILL');
    await expect(parked).rejects.toMatchObject({ code: 'HELPER_DIED' });
    await expect.poll(() => processesWith(marker).length).toBe(0);
  });

  it('a helper whose owner died idles (no CPU) until its jobs end, then exits', async () => {
    const script = fileURLToPath(new URL('./orphan-owner.test-helper.ts', import.meta.url));
    const pid = Number(execFileSync(process.execPath, ['--import', 'tsx', script, '2'], { encoding: 'utf8' }).trim());
    expect(alive(pid)).toBe(true);
    const cpuTicks = (): number => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ').slice(11, 13).reduce((n, t) => n + Number(t), 0) ?? 0;
    const before = cpuTicks();
    await new Promise((r) => setTimeout(r, 1000));
    expect(cpuTicks() - before).toBeLessThan(5); // ticks of 10 ms: a spinning loop would use ~100
    await expect.poll(() => alive(pid), { timeout: 5000 }).toBe(false);
  });

  it('close() with a timeout does not wait for a job that outlives it; the helper exits after that job', async () => {
    const helper = new HostHelper();
    const { argv, marker } = sleeper();
    const job = helper.run({ argv });
    await expect.poll(() => processesWith(marker).length).toBe(1);
    const pid = helper.pid as number;
    const started = Date.now();
    await helper.close({ timeoutMs: 200 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(alive(pid)).toBe(true);
    killAll(marker);
    expect(await job).toMatchObject({ signal: 'SIGKILL' }); // its answer still came after close()
    await expect.poll(() => alive(pid)).toBe(false);
  });

  it('an awaited close() keeps a program alive until the helper is gone, as the last thing it does', () => {
    const script = fileURLToPath(new URL('./close-last.test-helper.ts', import.meta.url));
    expect(execFileSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 30_000 })).toBe('closed after a job that exited 0\n');
  });

  it('close() lets running jobs finish, then the helper is gone', async () => {
    const helper = new HostHelper();
    const job = helper.run({ argv: sh('sleep 0.2; echo done'), stdout: 'pipe' });
    await expect.poll(() => helper.pid).toBeGreaterThan(0);
    const pid = helper.pid as number;
    await helper.close();
    expect(text((await job).stdout)).toBe('done\n');
    expect(helper.pid).toBeUndefined();
    expect(alive(pid)).toBe(false);
  });
});

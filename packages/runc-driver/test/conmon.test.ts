import { execFileSync, spawn } from 'node:child_process';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Conmon, criLogMessages, isRuncError, parseCriLog, type Runc } from '../src/index.js';
import { cleanupRuntime, createBundle, createRuntime, createTestBed, waitFor, type RuntimeName, type TestBed } from './fixtures.js';

const PATH_ENV = ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'];

/** pids of the processes whose command line holds `text`. */
function processesWith(text: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', '--', text], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

describe('Conmon', () => {
  let bed: TestBed;
  let runc: Runc;
  let conmon: Conmon;

  beforeAll(async () => {
    bed = await createTestBed('conmon');
  });
  afterAll(async () => {
    await bed?.close();
  });
  afterEach(async () => {
    await conmon.close();
    await cleanupRuntime(runc);
  });

  async function setup(runtime: RuntimeName = 'runc'): Promise<void> {
    runc = await createRuntime(bed, runtime);
    const dir = join(bed.dir, `conmon-${bed.id('c')}`);
    conmon = new Conmon({ runc, exitDir: join(dir, 'exits'), socketDir: join(dir, 'sockets') });
  }

  for (const runtime of ['runc', 'crun'] as const) {
    it(`monitors a container through ${runtime}: CRI log, exit file, watcher`, async () => {
      await setup(runtime);
      const id = bed.id(runtime);
      const bundle = await createBundle(bed, id, { args: ['sh', '-c', 'echo hello; echo oops >&2; exit 3'] });
      const logPath = join(bed.dir, `${id}.log`);
      const watcher = conmon.watch();
      await watcher.start();
      const exits: string[] = [];
      watcher.onExit((e) => exits.push(`${e.id}:${e.exitCode}`));
      await runc.helper.run({ argv: ['true'] }); // the helper's own pipes stay open
      const fdsBefore = (await readdir('/proc/self/fd')).length;
      const container = await conmon.create(id, { bundle, logPath });
      expect((await readdir('/proc/self/fd')).length).toBe(fdsBefore); // no pipe of the create left
      expect(container.pid).toBeGreaterThan(1);
      expect(container.conmonPid).toBeGreaterThan(1);
      expect((await runc.state(id)).status).toBe('created');
      expect(await conmon.exitStatus(id)).toBeUndefined();
      await runc.start(id);
      const exit = await watcher.wait(id);
      expect(exit.exitCode).toBe(3);
      expect(exits).toEqual([`${id}:3`]);
      expect(await conmon.exitStatus(id, { persistDir: container.persistDir })).toMatchObject({ exitCode: 3, oomKilled: false });
      const lines = parseCriLog(await readFile(logPath, 'utf8'));
      expect(criLogMessages(lines, 'stdout')).toEqual(['hello']);
      expect(criLogMessages(lines, 'stderr')).toEqual(['oops']);
      await runc.delete(id);
    });
  }

  it('runs the exit command with its arguments after the container exited', async () => {
    await setup();
    const id = bed.id('exitcmd');
    const bundle = await createBundle(bed, id, { args: ['sh', '-c', 'exit 5'] });
    const marker = join(bed.dir, `${id}.exit-command`);
    await conmon.create(id, { bundle, logPath: join(bed.dir, `${id}.log`), exitCommand: ['/bin/sh', '-c', 'echo "$0 $1" > "$2"', 'ran', id, marker] });
    const watcher = conmon.watch();
    await runc.start(id);
    expect((await watcher.wait(id)).exitCode).toBe(5);
    await waitFor(async () => ((await readFile(marker, 'utf8').catch(() => '')) === `ran ${id}\n` ? true : undefined), 10_000, 'the exit command');
    await runc.delete(id);
  });

  it('reports 137 and OOM-killed when the memory limit is hit', async () => {
    await setup();
    const id = bed.id('oom');
    const bundle = await createBundle(bed, id, { args: ['sh', '-c', 'echo start; tail /dev/zero'], memoryLimit: 16 * 1024 * 1024 });
    const container = await conmon.create(id, { bundle, logPath: join(bed.dir, `${id}.log`) });
    const watcher = conmon.watch();
    await runc.start(id);
    expect((await watcher.wait(id)).exitCode).toBe(137);
    expect(await conmon.exitStatus(id, { persistDir: container.persistDir })).toMatchObject({ exitCode: 137, oomKilled: true });
  });

  it('passes the conmon timeout and log size limit', async () => {
    await setup();
    const id = bed.id('limits');
    const bundle = await createBundle(bed, id, { args: ['sh', '-c', 'i=0; while [ $i -lt 200 ]; do echo line-$i; i=$((i+1)); done; sleep 60'] });
    const logPath = join(bed.dir, `${id}.log`);
    const watcher = conmon.watch();
    await conmon.create(id, { bundle, logPath, timeoutSeconds: 1, logSizeMax: 2048 });
    await runc.start(id);
    const exit = await watcher.wait(id);
    expect(exit.exitCode).toBe(-1); // conmon's "timed out" status
    expect((await stat(logPath)).size).toBeLessThanOrEqual(2048 + 200);
  });

  it('honours an aborted signal', async () => {
    await setup();
    const id = bed.id('abort');
    const bundle = await createBundle(bed, id, { args: ['true'] });
    const err = await conmon.create(id, { bundle, logPath: join(bed.dir, `${id}.log`), signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(isRuncError(err, 'ABORTED')).toBe(true);
    expect(await runc.list()).toEqual([]);
  });

  it('reports runtime errors and a missing conmon as typed errors', async () => {
    await setup();
    const id = bed.id('bad');
    const bundle = await createBundle(bed, id, { args: ['true'] });
    await conmon.create(id, { bundle, logPath: join(bed.dir, `${id}.log`) });
    const dup = await conmon.create(id, { bundle, logPath: join(bed.dir, `${id}-2.log`) }).catch((e: unknown) => e);
    expect(isRuncError(dup, 'ALREADY_EXISTS')).toBe(true);

    const id2 = bed.id('badcfg');
    const bundle2 = await createBundle(bed, id2, { args: ['true'] });
    await writeFile(join(bundle2, 'config.json'), '{ nope');
    const bad = await conmon.create(id2, { bundle: bundle2, logPath: join(bed.dir, `${id2}.log`) }).catch((e: unknown) => e);
    expect(isRuncError(bad, 'INVALID_CONFIG')).toBe(true);

    const missing = new Conmon({ runc, binary: join(bed.dir, 'no-conmon'), exitDir: join(bed.dir, 'x'), socketDir: join(bed.dir, 'y') });
    const id3 = bed.id('nocon');
    const err = await missing.create(id3, { bundle: await createBundle(bed, id3, { args: ['true'] }), logPath: join(bed.dir, `${id3}.log`) }).catch((e: unknown) => e);
    expect(isRuncError(err, 'BINARY_NOT_FOUND')).toBe(true);
  });

  it('prepare() parks conmon before it does anything; start() creates the container, cancel() leaves nothing', async () => {
    await setup();
    const conmonsOf = (id: string): string[] => processesWith(`--cid ${id} `);
    const id = bed.id('parked');
    const bundle = await createBundle(bed, id, { args: ['sh', '-c', 'echo parked; exit 4'] });
    const logPath = join(bed.dir, `${id}.log`);
    const prepared = conmon.prepare(id, { bundle, logPath });
    await waitFor(() => conmonsOf(id).length === 1 || undefined, 10_000, 'a parked conmon');
    expect(await runc.list()).toEqual([]);
    const watcher = conmon.watch();
    await watcher.start();
    const container = await prepared.start();
    expect((await runc.state(id)).status).toBe('created');
    await runc.start(id);
    expect((await watcher.wait(id)).exitCode).toBe(4);
    expect(criLogMessages(parseCriLog(await readFile(logPath, 'utf8')), 'stdout')).toEqual(['parked']);
    expect(container.conmonPid).toBeGreaterThan(1);
    await runc.delete(id);

    const id2 = bed.id('cancelled');
    const cancelled = conmon.prepare(id2, { bundle: await createBundle(bed, id2, { args: ['true'] }), logPath: join(bed.dir, `${id2}.log`) });
    await waitFor(() => conmonsOf(id2).length === 1 || undefined, 10_000, 'a parked conmon');
    await cancelled.cancel();
    expect(conmonsOf(id2)).toEqual([]);
    expect(await runc.list()).toEqual([]);
    expect(await conmon.exitStatus(id2)).toBeUndefined();

    // a parked conmon that is gone by start() is replaced by a fresh one
    const id3 = bed.id('replaced');
    const replaced = conmon.prepare(id3, { bundle: await createBundle(bed, id3, { args: ['true'] }), logPath: join(bed.dir, `${id3}.log`) });
    await waitFor(() => conmonsOf(id3).length === 1 || undefined, 10_000, 'a parked conmon');
    for (const pid of conmonsOf(id3)) process.kill(Number(pid), 'SIGKILL');
    await waitFor(() => conmonsOf(id3).length === 0 || undefined, 10_000, 'the parked conmon gone');
    expect((await replaced.start()).pid).toBeGreaterThan(1);
    expect((await runc.state(id3)).status).toBe('created');
    await runc.delete(id3, { force: true });
    // ... also when its death is reported only after start() was called
    const id4 = bed.id('raced');
    const raced = conmon.prepare(id4, { bundle: await createBundle(bed, id4, { args: ['true'] }), logPath: join(bed.dir, `${id4}.log`) });
    await waitFor(() => conmonsOf(id4).length === 1 || undefined, 10_000, 'a parked conmon');
    for (const pid of conmonsOf(id4)) process.kill(Number(pid), 'SIGKILL');
    expect((await raced.start()).pid).toBeGreaterThan(1);
    expect((await runc.state(id4)).status).toBe('created');
    await runc.delete(id4, { force: true });
  });

  it('keeps the container when the process that started it is SIGKILLed', async () => {
    await setup();
    const id = bed.id('outlive');
    const bundle = await createBundle(bed, id, { args: ['sh', '-c', 'echo first; sleep 1.5; echo second; exit 7'] });
    const logPath = join(bed.dir, `${id}.log`);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'helpers/conmon-child.ts'), runc.root ?? '', bed.dir, conmon.exitDir, conmon.socketDir, id, bundle, logPath],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const childExit = new Promise((r) => child.once('exit', r));
    const first = await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next();
    const started = JSON.parse(String(first.value)) as { pid: number; conmonPid: number };
    child.kill('SIGKILL');
    await childExit;

    // a new process finds the running container and reads its real exit code and full log
    const reader = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'helpers/conmon-reader.ts'), runc.root ?? '', bed.dir, conmon.exitDir, conmon.socketDir, id, logPath],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let readerErr = '';
    reader.stderr.on('data', (d: Buffer) => (readerErr += d.toString()));
    const line = await createInterface({ input: reader.stdout })[Symbol.asyncIterator]().next();
    await new Promise((r) => reader.once('exit', r));
    expect(line.value, readerErr).toBeDefined();
    expect(JSON.parse(String(line.value))).toEqual({ status: 'running', pid: started.pid, exitCode: 7, log: ['first', 'second'] });
    expect((await runc.state(id)).status).toBe('stopped');
  });

  describe('execSync', () => {
    it('captures output and the exit code', async () => {
      await setup();
      const id = bed.id('exec');
      const bundle = await createBundle(bed, id, { args: ['sleep', '60'] });
      const container = await conmon.create(id, { bundle, logPath: join(bed.dir, `${id}.log`) });
      await runc.start(id);
      expect((await stat(container.attachSocket)).isSocket()).toBe(true);
      expect((await stat(container.controlFifo)).isFIFO()).toBe(true);
      const r = await conmon.execSync(id, { args: ['sh', '-c', 'echo out; echo err >&2; exit 5'], cwd: '/', env: PATH_ENV });
      expect(r.exitCode).toBe(5);
      expect(r.stdout.toString()).toBe('out\n');
      expect(r.stderr.toString()).toBe('err\n');
      const big = await conmon.execSync(id, { args: ['head', '-c', '17000000', '/dev/zero'], cwd: '/', env: PATH_ENV });
      expect(big.stdout.length).toBe(16 * 1024 * 1024);
      expect(big.stdoutTruncated).toBe(true);
      expect(big.exitCode).toBe(0);
      const missing = await conmon.execSync(id, { args: ['no-such-command'], cwd: '/', env: PATH_ENV }).catch((e: unknown) => e);
      expect(isRuncError(missing)).toBe(true);
    });

    it('kills the process and its children on timeout; the container keeps running', async () => {
      await setup();
      const id = bed.id('timeout');
      const bundle = await createBundle(bed, id, { args: ['sleep', '60'] });
      const { pid } = await conmon.create(id, { bundle, logPath: join(bed.dir, `${id}.log`) });
      await runc.start(id);
      const t0 = Date.now();
      const err = await conmon
        .execSync(id, { args: ['sh', '-c', 'sleep 60 & sleep 60'], cwd: '/', env: PATH_ENV }, { timeoutMs: 1000 })
        .catch((e: unknown) => e);
      const elapsed = Date.now() - t0;
      expect(isRuncError(err, 'TIMEOUT')).toBe(true);
      expect(elapsed).toBeGreaterThanOrEqual(900);
      expect(elapsed).toBeLessThan(10_000); // sanity bound, not a performance check
      await waitFor(async () => ((await runc.ps(id)).length === 1 ? true : undefined), 5000, 'exec processes gone');
      expect(await runc.ps(id)).toEqual([pid]);
      expect((await runc.state(id)).status).toBe('running');

      // abort behaves the same way
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 300);
      const aborted = await conmon.execSync(id, { args: ['sleep', '60'], cwd: '/', env: PATH_ENV }, { signal: ac.signal }).catch((e: unknown) => e);
      expect(isRuncError(aborted, 'ABORTED')).toBe(true);
      await waitFor(async () => ((await runc.ps(id)).length === 1 ? true : undefined), 5000, 'aborted exec gone');
    });
  });
});

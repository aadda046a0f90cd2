import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Runc, isRuncError, type RuncErrorCode } from '../src/index.js';
import { cleanupRuntime, createBundle, createRuntime, createTestBed, waitFor, type RuntimeName, type TestBed } from './fixtures.js';

async function expectCode(promise: Promise<unknown>, code: RuncErrorCode): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isRuncError(err, code)) throw new Error(`expected RuncError ${code}, got ${String(err)}`, { cause: err });
}

const PATH_ENV = ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'];

/** The driver conformance suite, run against one runtime. */
export function conformance(runtime: RuntimeName): void {
  describe(`Runc driver conformance: ${runtime}`, () => {
    let bed: TestBed;
    let runc: Runc;

    beforeAll(async () => {
      bed = await createTestBed(`conf-${runtime}`);
    });
    afterAll(async () => {
      await bed?.close();
    });
    afterEach(async () => {
      await cleanupRuntime(runc);
    });

    async function setup(args: string[], extra: { memoryLimit?: number } = {}): Promise<{ id: string; bundle: string }> {
      runc = await createRuntime(bed, runtime);
      const id = bed.id(runtime);
      return { id, bundle: await createBundle(bed, id, { args, ...extra }) };
    }

    it('runs the full lifecycle: create, start, state, ps, list, kill, delete', async () => {
      const { id, bundle } = await setup(['sleep', '60']);
      const { pid } = await runc.create(id, { bundle });
      expect(pid).toBeGreaterThan(1);
      expect((await runc.state(id)).status).toBe('created');
      await runc.start(id);
      const state = await runc.state(id);
      expect(state).toMatchObject({ id, pid, status: 'running', bundle });
      expect(await runc.ps(id)).toContain(pid);
      expect((await runc.list()).map((c) => c.id)).toContain(id);
      await runc.kill(id, 'SIGKILL');
      await waitFor(async () => ((await runc.state(id)).status === 'stopped' ? true : undefined), 5000, 'stopped');
      await runc.delete(id);
      await expectCode(runc.state(id), 'NOT_FOUND');
      expect(await runc.list()).toEqual([]);
    });

    it('reports exit codes 0 and 3 from a foreground run', async () => {
      const { id, bundle } = await setup(['sh', '-c', 'echo out; echo err >&2; exit 3']);
      const r = await runc.run(id, { bundle });
      expect(r).toEqual({ exitCode: 3, stdout: 'out\n', stderr: 'err\n' });
      await expectCode(runc.state(id), 'NOT_FOUND'); // a foreground run removes its container
      const ok = bed.id(runtime);
      const r0 = await runc.run(ok, { bundle: await createBundle(bed, ok, { args: ['true'] }) });
      expect(r0.exitCode).toBe(0);
    });

    it('hands a foreground run\'s output over as it comes and writes its pid file; a failed run leaves out the runtime\'s own error line', async () => {
      const { id, bundle } = await setup(['sh', '-c', 'echo out; echo err >&2; exit 3']);
      const seen: string[] = [];
      const pidFile = join(bed.dir, `${id}.pid`);
      const r = await runc.run(id, { bundle, pidFile, newSession: true, onOutput: (stream, chunk) => seen.push(`${stream}:${chunk.toString()}`) });
      expect(r).toEqual({ exitCode: 3, stdout: '', stderr: '' });
      expect(seen.sort()).toEqual(['stderr:err\n', 'stdout:out\n']);
      expect(Number(await readFile(pidFile, 'utf8'))).toBeGreaterThan(1);
      const missing = bed.id(runtime);
      const lines: string[] = [];
      const failed = runc.run(missing, { bundle: await createBundle(bed, missing, { args: ['/no-such-program'] }), onOutput: (_stream, chunk) => lines.push(chunk.toString()) });
      const err = await failed.then(() => undefined, (e: unknown) => e);
      expect(isRuncError(err)).toBe(true);
      expect(String(err)).toMatch(/no-such-program/);
      // crun words its failures otherwise: only runc's line is known
      if (runtime === 'runc') expect(lines).toEqual([]);
      await expectCode(runc.state(missing), 'NOT_FOUND');
    });

    it('reports 128+n for a container killed by signal n', async () => {
      const { id, bundle } = await setup(['sleep', '60']);
      const running = runc.run(id, { bundle });
      await waitFor(async () => ((await runc.state(id).catch(() => undefined))?.status === 'running' ? true : undefined), 10_000, 'running');
      await runc.kill(id, 'KILL');
      expect((await running).exitCode).toBe(128 + 9);
    });

    it('execs in the foreground (output, exit code, signal) and detached', async () => {
      const { id, bundle } = await setup(['sleep', '60']);
      await runc.run(id, { bundle, detach: true });
      expect(await runc.exec(id, { args: ['echo', 'hello'], cwd: '/', env: PATH_ENV })).toEqual({ exitCode: 0, stdout: 'hello\n', stderr: '' });
      expect((await runc.exec(id, { args: ['sh', '-c', 'exit 3'], cwd: '/', env: PATH_ENV })).exitCode).toBe(3);
      expect((await runc.exec(id, { args: ['sh', '-c', 'kill -TERM $$'], cwd: '/', env: PATH_ENV })).exitCode).toBe(128 + 15);
      // below our own oom_score_adj without CAP_SYS_RESOURCE: clamped to ours
      const own = Number((await readFile('/proc/self/oom_score_adj', 'utf8')).trim());
      const adj = await runc.exec(id, { args: ['cat', '/proc/self/oom_score_adj'], cwd: '/', env: PATH_ENV, oomScoreAdj: -900 });
      expect(adj.exitCode).toBe(0);
      expect(Number(adj.stdout.trim())).toBeGreaterThanOrEqual(own);
      const { pid } = await runc.exec(id, { args: ['sleep', '30'], cwd: '/', env: PATH_ENV }, { detach: true });
      expect(await runc.ps(id)).toContain(pid);
      await expectCode(runc.exec(id, { args: ['true'], cwd: '/', env: PATH_ENV }, { detach: true, io: { stdout: 'pipe' } }), 'INVALID_ARGUMENT');
    });

    it('pauses and resumes', async () => {
      const { id, bundle } = await setup(['sleep', '60']);
      await runc.run(id, { bundle, detach: true });
      await runc.pause(id);
      expect((await runc.state(id)).status).toBe('paused');
      await runc.resume(id);
      expect((await runc.state(id)).status).toBe('running');
    });

    it('updates the memory limit, read back from the cgroup', async () => {
      const { id, bundle } = await setup(['sleep', '60']);
      await runc.run(id, { bundle, detach: true });
      const limit = 96 * 1024 * 1024;
      await runc.update(id, { memory: { limit } });
      const file = join('/sys/fs/cgroup/memory', bed.cgroupParent, id, 'memory.limit_in_bytes');
      expect(Number((await readFile(file, 'utf8')).trim())).toBe(limit);
    });

    it('writes detached container output to files and passes preserved fds', async () => {
      const { id, bundle } = await setup(['sh', '-c', 'echo to-stdout; echo to-fd3 >&3']);
      const out = join(bed.dir, `${id}.out`);
      const extra = join(bed.dir, `${id}.fd3`);
      await writeFile(extra, '');
      const fd3 = await open(extra, 'a');
      try {
        await runc.create(id, { bundle, io: { stdout: { file: out } }, preserveFds: [fd3.fd] });
      } finally {
        await fd3.close();
      }
      await runc.start(id);
      await waitFor(async () => ((await runc.state(id)).status === 'stopped' ? true : undefined), 5000, 'stopped');
      expect(await readFile(out, 'utf8')).toBe('to-stdout\n');
      expect(await readFile(extra, 'utf8')).toBe('to-fd3\n');
      await expectCode(runc.create(bed.id(), { bundle, io: { stdout: 'pipe' } }), 'INVALID_ARGUMENT');
    });

    {
      it('reports one-shot stats and streams events', async () => {
        const { id, bundle } = await setup(['sleep', '60']);
        await runc.run(id, { bundle, detach: true });
        const stats = await runc.stats(id);
        expect(stats.memory?.usage?.usage).toBeGreaterThan(0);
        expect(stats.pids?.current).toBeGreaterThanOrEqual(1);
        const seen: string[] = [];
        for await (const event of runc.events(id, { intervalMs: 100 })) {
          seen.push(event.type);
          if (seen.length === 2) break;
        }
        expect(seen).toEqual(['stats', 'stats']);
        const ac = new AbortController();
        const stream = runc.events(id, { intervalMs: 100, signal: ac.signal });
        await stream.next();
        ac.abort();
        await expectCode(stream.next(), 'ABORTED');
        // the stream ends by itself once the container is gone
        const ending = (async () => {
          let n = 0;
          for await (const _event of runc.events(id, { intervalMs: 100 })) n++;
          return n;
        })();
        await new Promise((r) => setTimeout(r, 250));
        await runc.delete(id, { force: true });
        expect(await ending).toBeGreaterThanOrEqual(0);
      });
    }

    if (runtime === 'runc') {
      it('reports its features', async () => {
        runc = await createRuntime(bed, runtime);
        expect((await runc.features()).ociVersionMax).toMatch(/^1\./);
      });
    } else {
      it('crun 1.8 has no events or features verb: stats come from cgroup files unless disabled', async () => {
        runc = await createRuntime(bed, runtime, { cgroupStatsFallback: false });
        const id = bed.id(runtime);
        await runc.run(id, { bundle: await createBundle(bed, id, { args: ['sleep', '60'] }), detach: true });
        await expectCode(runc.stats(id), 'UNSUPPORTED');
        await expectCode(runc.events(id).next(), 'UNSUPPORTED');
        await expectCode(runc.features(), 'UNSUPPORTED');
      });
    }

    it('reports its version', async () => {
      runc = await createRuntime(bed, runtime);
      expect((await runc.version()).name).toBe(runtime);
    });

    describe('errors', () => {
      it('missing bundle', async () => {
        runc = await createRuntime(bed, runtime);
        const err = await runc.create(bed.id(), { bundle: join(bed.dir, 'no-such-bundle') }).catch((e: unknown) => e);
        expect(isRuncError(err, 'BUNDLE_NOT_FOUND')).toBe(true);
        expect(String(err)).toMatch(/no-such-bundle/);
      });

      it('invalid config.json', async () => {
        const { id, bundle } = await setup(['true']);
        await writeFile(join(bundle, 'config.json'), '{ not json');
        const err = await runc.create(id, { bundle }).catch((e: unknown) => e);
        expect(isRuncError(err, 'INVALID_CONFIG')).toBe(true);
        expect(isRuncError(err) && err.argv).toContain('create');
      });

      it('unknown container id', async () => {
        runc = await createRuntime(bed, runtime);
        const id = bed.id('missing');
        await expectCode(runc.state(id), 'NOT_FOUND');
        await expectCode(runc.start(id), 'NOT_FOUND');
        await expectCode(runc.kill(id, 'SIGTERM'), 'NOT_FOUND');
        await expectCode(runc.delete(id), 'NOT_FOUND');
        const err = await runc.state(id).catch((e: unknown) => e);
        expect(isRuncError(err) && err.runtimeMessage).toBeTruthy();
        expect(isRuncError(err) && err.exitCode).toBe(1);
      });

      it('runtime binary missing', async () => {
        runc = new Runc({ binary: join(bed.dir, 'no-such-runtime') });
        const err = await runc.list().catch((e: unknown) => e);
        expect(isRuncError(err, 'BINARY_NOT_FOUND')).toBe(true);
        expect(String(err)).toMatch(/no-such-runtime/);
      });

      it('checkpoint and restore without criu', async () => {
        runc = await createRuntime(bed, runtime, { criu: join(bed.dir, 'no-criu') });
        const id = bed.id();
        await expectCode(runc.checkpoint(id, { imagePath: join(bed.dir, 'img') }), 'CRIU_NOT_FOUND');
        await expectCode(runc.restore(id, { bundle: bed.dir, imagePath: join(bed.dir, 'img') }), 'CRIU_NOT_FOUND');
      });

      it('takes the error message from a shared log file too', async () => {
        const logFile = join(bed.dir, `shared-${runtime}.log`);
        runc = await createRuntime(bed, runtime, { logFile });
        await expectCode(runc.state(bed.id('a')), 'NOT_FOUND');
        const err = await runc.state(bed.id('b')).catch((e: unknown) => e);
        expect(isRuncError(err, 'NOT_FOUND') && err.runtimeMessage).toBeTruthy();
        expect((await readFile(logFile, 'utf8')).length).toBeGreaterThan(0);
      });

      it('double create', async () => {
        const { id, bundle } = await setup(['sleep', '60']);
        await runc.create(id, { bundle });
        await expectCode(runc.create(id, { bundle }), 'ALREADY_EXISTS');
        expect((await runc.state(id)).status).toBe('created');
      });

      it('abort kills the runtime call and removes what it created', async () => {
        const { id, bundle } = await setup(['sleep', '60']);
        const ac = new AbortController();
        const running = runc.run(id, { bundle, signal: ac.signal });
        await waitFor(async () => ((await runc.state(id).catch(() => undefined))?.status === 'running' ? true : undefined), 10_000, 'running');
        ac.abort();
        await expectCode(running, 'ABORTED');
        await expectCode(runc.state(id), 'NOT_FOUND');
        await expectCode(runc.list({ signal: AbortSignal.abort() }), 'ABORTED');
      });
    });
  });
}

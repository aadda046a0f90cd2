import { describe, expect, it, vi } from 'vitest';
import { isShimError, ShimError } from '../errors.js';
import type { ContainerExit } from '../interfaces/runtime-backend.js';
import { FakeRuntimeBackend } from './fake-runtime-backend.js';

async function started(fake: FakeRuntimeBackend, name = 'app'): Promise<string> {
  await fake.runSandbox({ id: 's1', config: {} as never, runtimeHandler: '' }).catch(() => undefined);
  const id = `c-${name}`;
  await fake.createContainer({ id, sandboxId: 's1', spec: { ociVersion: '1.2.0', annotations: { 'io.kubernetes.cri.container-name': name } }, rootfs: '/r', logPath: '/l' });
  await fake.startContainer(id);
  return id;
}

describe('FakeRuntimeBackend', () => {
  it('records calls in order, with their arguments', async () => {
    const fake = new FakeRuntimeBackend();
    const id = await started(fake);
    await fake.stopContainer(id, { timeoutSeconds: 3 });
    expect(fake.methods()).toEqual(['runSandbox', 'createContainer', 'startContainer', 'stopContainer']);
    expect(fake.callsTo('stopContainer')[0]?.args).toEqual([id, { timeoutSeconds: 3, stopSignal: undefined }]);
    fake.clearCalls();
    expect(fake.calls).toEqual([]);
  });

  it('fails the next call(s) with the injected error, then recovers', async () => {
    const fake = new FakeRuntimeBackend();
    fake.failNext('info', new ShimError('Unavailable', 'down'), { times: 2 });
    fake.failNext('info', 'then internal');
    await expect(fake.info()).rejects.toMatchObject({ code: 'Unavailable' });
    await expect(fake.info()).rejects.toMatchObject({ code: 'Unavailable' });
    await expect(fake.info()).rejects.toMatchObject({ code: 'Internal', message: 'then internal' });
    await expect(fake.info()).resolves.toMatchObject({ ready: true });
    fake.failNext('info', 'x');
    fake.clearFailures();
    await expect(fake.info()).resolves.toBeDefined();
  });

  it('runs scripted exits after start and tells exit listeners once', async () => {
    const fake = new FakeRuntimeBackend();
    const exits: ContainerExit[] = [];
    const off = fake.onExit((e) => exits.push(e));
    fake.scriptExit('app', { exitCode: 3, afterMs: 5 });
    const id = await started(fake);
    await vi.waitFor(() => expect(exits).toHaveLength(1), { timeout: 2000, interval: 5 });
    expect(exits[0]).toMatchObject({ id, exitCode: 3, oomKilled: false });
    expect(await fake.containerState(id)).toMatchObject({ status: 'exited', exitCode: 3 });
    await fake.stopContainer(id, { timeoutSeconds: 0 });
    expect(exits).toHaveLength(1);
    off();
    await fake.close();
  });

  it('exits with 128+signal on stop, 137 on SIGKILL, and knows nothing of unknown ids', async () => {
    const fake = new FakeRuntimeBackend();
    const a = await started(fake, 'a');
    const b = await started(fake, 'b');
    await fake.stopContainer(a, { timeoutSeconds: 5, stopSignal: 'SIGINT' });
    await fake.stopContainer(b, { timeoutSeconds: 0 });
    expect((await fake.containerState(a)).exitCode).toBe(130);
    expect((await fake.containerState(b)).exitCode).toBe(137);
    const e = await fake.containerState('nope').catch((x: unknown) => x);
    expect(isShimError(e, 'NotFound')).toBe(true);
    await fake.removeContainer('nope');
    await fake.stopSandbox('nope');
    await fake.removeSandbox('nope');
  });

  it('answers ExecSync with the responder, a timeout, or the default echo', async () => {
    const fake = new FakeRuntimeBackend();
    const id = await started(fake);
    expect((await fake.execSync(id, { cmd: ['echo', 'a', 'b'] })).stdout.toString()).toBe('a b\n');
    fake.execResponder = () => new Promise(() => {});
    expect(await fake.execSync(id, { cmd: ['hang'], timeoutMs: 20 })).toMatchObject({ timedOut: true });
    fake.execResponder = () => ({ stdout: Buffer.alloc(100), stderr: Buffer.from('err'), exitCode: 4 });
    const r = await fake.execSync(id, { cmd: ['x'], maxOutputBytes: 10 });
    expect([r.stdout.length, r.stderr.toString(), r.exitCode]).toEqual([10, 'err', 4]);
  });
});

describe('FakeRuntimeBackend scripts with times', () => {
  it('uses a limited script up, then falls through to the next', async () => {
    const fake = new FakeRuntimeBackend();
    const exits: ContainerExit[] = [];
    fake.onExit((e) => exits.push(e));
    fake.scriptExit('job', { exitCode: 1, times: 1 });
    fake.scriptExit('job', { exitCode: 0 });
    await started(fake, 'job');
    await fake.createContainer({ id: 'second', sandboxId: 's1', spec: { ociVersion: '1.2.0', annotations: { 'io.kubernetes.cri.container-name': 'job' } }, rootfs: '/r', logPath: '/l' });
    await fake.startContainer('second');
    await vi.waitFor(() => expect(exits.map((e) => e.exitCode)).toEqual([1, 0]), { timeout: 2000, interval: 5 });
  });
});

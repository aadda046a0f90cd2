// WasmBackend on its own (no shim): real runners, real cgroups, a rootfs directory with the
// compiled workloads. The CRI-level behaviour is in wasm-shim.e2e.test.ts.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RuntimeSpec } from '@shimkit/oci-spec';
import { criLogMessages, parseCriLog } from '@shimkit/runc-driver';
import { isShimError, type ContainerExit } from 'shimkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WasmBackend } from './wasm-backend.js';
import { removeCgroupParent } from './cgroup/remove-cgroup-parent.test-helper.js';
import { buildWorkloads } from './wasm-workloads.test-helper.js';

const tag = `${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;
const cgroupParent = `/wasm-backend-test-${tag}`;
let work: string;
let rootfs: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'wasm-backend-'));
  rootfs = join(work, 'rootfs');
  await buildWorkloads(rootfs);
});
afterAll(async () => {
  // warm runners end when their backend closes (a booting one a moment later); none may stay
  await vi.waitFor(async () => expect(await runners()).toEqual([]), { timeout: 5000, interval: 100 });
  await removeCgroupParent(cgroupParent);
  await rm(work, { recursive: true, force: true });
});

async function runners(): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes('wasm-runner') && (cmdline.includes(work) || !cmdline.includes('.json'))) found.push(cmdline.split('\0').join(' '));
  }
  return found;
}

function spec(id: string, args: string[]): RuntimeSpec {
  return { ociVersion: '1.0.2', process: { args, cwd: '/', env: [] }, root: { path: 'rootfs' }, linux: { cgroupsPath: `${cgroupParent}/${id}` } } as unknown as RuntimeSpec;
}

const config = { metadata: { name: 'p', namespace: 'ns', uid: 'u', attempt: 0 } } as never;
const is = (code: string, pattern?: RegExp) => (e: unknown): boolean => isShimError(e, code as never) && (pattern === undefined || pattern.test((e as Error).message));

describe('WasmBackend', () => {
  it('runs a module to its end, reports the exit to listeners and in its state, and removes what it made', async () => {
    const backend = new WasmBackend({ state: join(work, 'state-1') });
    const exits: ContainerExit[] = [];
    backend.onExit((e) => exits.push(e));
    try {
      expect(backend.sandboxNeedsNetns(config)).toBe(false);
      expect(await backend.runSandbox({ id: 'pod1', config, runtimeHandler: 'wasm', netnsPath: '/run/netns/x' })).toEqual({ namespaces: { network: '/run/netns/x' }, mounts: [] });
      const logPath = join(work, 'logs', 'c1.log');
      await backend.createContainer({ id: 'c1', sandboxId: 'pod1', spec: spec('c1', ['/exit-code.wasm']), rootfs, logPath });
      expect(await backend.containerState('c1')).toEqual({ status: 'created' });
      const { pid } = await backend.startContainer('c1');
      expect(pid).toBeGreaterThan(0);
      await vi.waitFor(() => expect(exits.map((e) => [e.id, e.exitCode, e.oomKilled])).toEqual([['c1', 42, false]]), { timeout: 10_000, interval: 20 });
      expect(await backend.containerState('c1')).toMatchObject({ status: 'exited', exitCode: 42, pid });
      expect(criLogMessages(parseCriLog(await readFile(logPath, 'utf8')), 'stderr')).toEqual(['exiting with 42']);
      await expect(backend.startContainer('c1')).rejects.toSatisfy(is('FailedPrecondition', /has exited/));
      expect(await backend.stats('c1')).toEqual({ timestamp: expect.any(Date) });
      await backend.removeContainer('c1');
      await backend.removeContainer('c1');
      expect(existsSync(join('/sys/fs/cgroup/memory', cgroupParent, 'c1'))).toBe(false);
      await expect(backend.containerState('c1')).rejects.toSatisfy(is('NotFound'));
      await backend.stopSandbox('pod1');
      expect(await backend.sandboxState('pod1')).toBe('notready');
      await backend.removeSandbox('pod1');
      await expect(backend.sandboxState('pod1')).rejects.toSatisfy(is('NotFound'));
    } finally {
      await backend.close();
    }
  });

  it('refuses bad ids, an unknown or stopped pod, a used id, another handler, and answers NotFound for unknown containers', async () => {
    const backend = new WasmBackend({ state: join(work, 'state-2'), warmRunners: 0 });
    try {
      await expect(backend.runSandbox({ id: '../x', config, runtimeHandler: 'wasm' })).rejects.toSatisfy(is('InvalidArgument', /pod sandbox id/));
      await expect(backend.runSandbox({ id: 'p', config, runtimeHandler: 'runc' })).rejects.toSatisfy(is('InvalidArgument', /runtime handler "runc" is not configured/));
      await backend.runSandbox({ id: 'p', config, runtimeHandler: 'wasm' });
      await expect(backend.runSandbox({ id: 'p', config, runtimeHandler: 'wasm' })).rejects.toSatisfy(is('AlreadyExists'));
      const create = (id: string, sandboxId = 'p', args = ['/hello.wasm']) => backend.createContainer({ id, sandboxId, spec: spec(id, args), rootfs, logPath: '' });
      await expect(create('../c')).rejects.toSatisfy(is('InvalidArgument', /container id/));
      await expect(create('c', 'nope')).rejects.toSatisfy(is('NotFound', /pod sandbox "nope"/));
      await create('c');
      await expect(create('c')).rejects.toSatisfy(is('AlreadyExists'));
      await expect(backend.createContainer({ id: 'd', sandboxId: 'p', spec: { ...spec('d', ['/hello.wasm']), linux: {} } as RuntimeSpec, rootfs, logPath: '' })).rejects.toSatisfy(is('InvalidArgument', /linux\.cgroupsPath/));
      await expect(backend.execSync('c', { cmd: ['sh'] })).rejects.toSatisfy(is('Unimplemented', /runtime handler "wasm" cannot run a command/));
      for (const call of [() => backend.startContainer('x'), () => backend.containerState('x'), () => backend.stats('x'), () => backend.stopContainer('x', { timeoutSeconds: 0 })]) {
        await expect(call()).rejects.toSatisfy(is('NotFound'));
      }
      // stopped before it started: exited 137, no runner ever ran
      await backend.stopContainer('c', { timeoutSeconds: 10 });
      expect(await backend.containerState('c')).toMatchObject({ status: 'exited', exitCode: 137 });
      await backend.stopSandbox('p');
      await expect(create('e')).rejects.toSatisfy(is('FailedPrecondition', /not ready/));
      await backend.removeSandbox('p');
      expect(await readdir(join(work, 'state-2', 'containers'))).toEqual([]);
    } finally {
      await backend.close();
    }
    await expect(backend.runSandbox({ id: 'q', config, runtimeHandler: 'wasm' })).rejects.toSatisfy(is('FailedPrecondition', /closed/));
  });

  it('attaches to a running module\'s output (not its stdin), to the end of it', async () => {
    const backend = new WasmBackend({ state: join(work, 'state-4') });
    try {
      await backend.runSandbox({ id: 'p', config, runtimeHandler: 'wasm' });
      const logPath = join(work, 'logs', 'attach.log');
      await backend.createContainer({ id: 'a', sandboxId: 'p', spec: spec('a', ['/sleep-exit.wasm']), rootfs, logPath });
      await expect(backend.attach('a', { stdin: false, stdout: true, stderr: true })).rejects.toSatisfy(is('FailedPrecondition', /not running/));
      await backend.startContainer('a');
      await expect(backend.attach('a', { stdin: true, stdout: true, stderr: false })).rejects.toSatisfy(is('Unimplemented', /runtime handler "wasm" cannot attach with stdin/));
      const session = await backend.attach('a', { stdin: false, stdout: true, stderr: false });
      expect(session.stdin).toBeNull();
      let out = '';
      for await (const chunk of session.stdout ?? []) out += String(chunk);
      await session.ended;
      expect(out).toBe('slept, exiting with 7\n');
      expect(await backend.containerState('a')).toMatchObject({ status: 'exited', exitCode: 7 });
      await expect(backend.createContainer({ id: 'b', sandboxId: 'p', spec: spec('b', ['/hello.wasm']), rootfs, logPath: '', stdin: true }))
        .rejects.toSatisfy(is('InvalidArgument', /asks for stdin/));
      await backend.removeSandbox('p');
    } finally {
      await backend.close();
    }
  });

  it('a new instance finds a running runner (also one whose start was not recorded as done), stops it (stop signal, timeout, SIGKILL), and removes it', async () => {
    const state = join(work, 'state-3');
    const first = new WasmBackend({ state });
    await first.runSandbox({ id: 'p', config, runtimeHandler: 'wasm' });
    await first.createContainer({ id: 'loop', sandboxId: 'p', spec: spec('loop', ['/loop.wasm']), rootfs, logPath: '' });
    const { pid } = await first.startContainer('loop');
    await first.close();
    // as a shim that died during the start leaves it: the runner's pid recorded, not yet its start
    const metaPath = join(state, 'containers', 'loop', 'meta.json');
    const { startedAt: _started, ...meta } = JSON.parse(await readFile(metaPath, 'utf8')) as Record<string, unknown>;
    await writeFile(metaPath, JSON.stringify(meta));
    const second = new WasmBackend({ state, warmRunners: 0 });
    try {
      expect(await second.containerState('loop')).toMatchObject({ status: 'running', pid });
      expect((await second.stats('loop')).cpuUsageCoreNanoSeconds).toBeGreaterThan(0n);
      // a stop signal the runner ignores (SIGURG): after the timeout, SIGKILL
      const asked = Date.now();
      await second.stopContainer('loop', { timeoutSeconds: 1, stopSignal: 'SIGURG' });
      expect(Date.now() - asked).toBeGreaterThanOrEqual(1000);
      expect(await second.containerState('loop')).toMatchObject({ status: 'exited', exitCode: 137 });
      // this test process started the runner: it is gone once this process's event loop has reaped it
      await vi.waitFor(() => expect(existsSync(`/proc/${pid}`)).toBe(false), { timeout: 2000, interval: 20 });
      await second.removeSandbox('p');
      expect(existsSync(join('/sys/fs/cgroup/memory', cgroupParent, 'loop'))).toBe(false);
    } finally {
      await second.close();
    }
  });
});

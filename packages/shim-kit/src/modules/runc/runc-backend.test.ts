import { execFileSync } from 'node:child_process';
import { text } from 'node:stream/consumers';
import { readFile, rename, stat } from 'node:fs/promises';
import { release } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { oomScoreLimits } from '@shimkit/runc-driver';
import { isShimError } from '../../errors.js';
import type { ContainerExit, SandboxInfo } from '../../interfaces/runtime-backend.js';
import type { RuncConmonBackend, RuncConmonBackendOptions } from './runc-backend.js';
import { createRuncTestBed, logLines, type RuncTestBed } from './runc-test-bed.test-helper.js';

let bed: RuncTestBed;
let backend: RuncConmonBackend;
let sandbox: SandboxInfo & { id: string };
let exits: ContainerExit[];
const made: string[] = [];

beforeAll(async () => {
  bed = await createRuncTestBed('backend');
});
afterAll(async () => {
  await bed.close();
});
afterEach(async () => {
  for (const id of made.splice(0)) await backend.removeContainer(id);
  await backend.stopSandbox(sandbox.id);
  await backend.removeSandbox(sandbox.id);
  await backend.close();
  expect(await bed.leftovers()).toEqual({ containers: [], conmons: [], mounts: [] });
});

async function setUp(options: Partial<RuncConmonBackendOptions> = {}): Promise<void> {
  backend = bed.backend(options);
  exits = [];
  backend.onExit((e) => exits.push(e));
  const id = bed.id('sb');
  sandbox = { id, ...(await backend.runSandbox({ id, config: bed.podConfig(id), runtimeHandler: '' })) };
}

async function run(args: string[], options: { start?: boolean; oomScoreAdj?: number; memoryLimit?: number } = {}): Promise<{ id: string; logPath: string }> {
  const id = bed.id('ctr');
  const logPath = join(bed.logs, `${id}.log`);
  const spec = bed.spec(id, sandbox, args);
  if (options.oomScoreAdj !== undefined && spec.process) spec.process.oomScoreAdj = options.oomScoreAdj;
  if (options.memoryLimit !== undefined && spec.linux) spec.linux.resources = { ...spec.linux.resources, memory: { limit: options.memoryLimit, swap: options.memoryLimit } };
  await backend.createContainer({ id, sandboxId: sandbox.id, spec, rootfs: bed.rootfs, logPath });
  made.push(id);
  if (options.start ?? true) await backend.startContainer(id);
  return { id, logPath };
}

/** pids of the conmon processes of container `id`. */
function conmonsOf(id: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', '--', `conmon .*--cid ${id} `], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

const exitOf = async (id: string): Promise<ContainerExit> => {
  await vi.waitFor(() => expect(exits.some((e) => e.id === id)).toBe(true), { timeout: 10_000, interval: 20 });
  return exits.find((e) => e.id === id) as ContainerExit;
};

describe('RuncConmonBackend containers', () => {
  it('reports exit codes 0, 3 and 137 (SIGKILL) through onExit and containerState', async () => {
    await setUp();
    const ok = await run(['sh', '-c', 'exit 0']);
    const three = await run(['sh', '-c', 'exit 3']);
    const killed = await run(['sleep', '60']);
    await backend.stopContainer(killed.id, { timeoutSeconds: 0 });
    expect((await exitOf(ok.id)).exitCode).toBe(0);
    expect((await exitOf(three.id)).exitCode).toBe(3);
    expect(await exitOf(killed.id)).toMatchObject({ exitCode: 137, oomKilled: false });
    const state = await backend.containerState(three.id);
    expect(state).toMatchObject({ status: 'exited', exitCode: 3, oomKilled: false });
    expect(state.exitedAt).toBeInstanceOf(Date);
    expect(state.startedAt).toBeInstanceOf(Date);
  });

  it('reports an OOM kill: 137 and oomKilled', async () => {
    await setUp();
    const c = await run(['sh', '-c', 'x=$(head -c 100000000 /dev/zero | tr "\\0" a); echo survived'], { memoryLimit: 16 * 1024 * 1024 });
    expect(await exitOf(c.id)).toMatchObject({ exitCode: 137, oomKilled: true });
    expect(await backend.containerState(c.id)).toMatchObject({ status: 'exited', exitCode: 137, oomKilled: true });
  });

  it('writes the CRI log file in kubelet format: time, stream, P/F tag, message', async () => {
    await setUp();
    const c = await run(['sh', '-c', 'echo out-line; echo err-line >&2; printf no-newline']);
    await exitOf(c.id);
    const lines = await logLines(c.logPath);
    for (const line of lines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+(Z|[+-]\d\d:\d\d) (stdout|stderr) [PF] /);
    expect(lines.map((l) => l.split(' ').slice(1).join(' '))).toEqual(expect.arrayContaining(['stdout F out-line', 'stderr F err-line', 'stdout P no-newline']));
  });

  it('honours the stop signal, and SIGKILLs a process that ignores it after the timeout', async () => {
    await setUp();
    const polite = await run(['sh', '-c', 'trap "exit 7" TERM; while true; do sleep 0.1; done']);
    const stubborn = await run(['sh', '-c', 'trap "" TERM; while true; do sleep 0.1; done']);
    await vi.waitFor(async () => expect((await backend.execSync(polite.id, { cmd: ['true'] })).exitCode).toBe(0));
    await backend.stopContainer(polite.id, { timeoutSeconds: 10, stopSignal: 'SIGTERM' });
    expect(await backend.containerState(polite.id)).toMatchObject({ status: 'exited', exitCode: 7 });
    const started = Date.now();
    await backend.stopContainer(stubborn.id, { timeoutSeconds: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(await backend.containerState(stubborn.id)).toMatchObject({ status: 'exited', exitCode: 137 });
    await backend.stopContainer(stubborn.id, { timeoutSeconds: 1 }); // idempotent
  });

  it('kills a timed-out exec and what it started, and the container keeps running', async () => {
    await setUp();
    const c = await run(['sleep', '3600']);
    const result = await backend.execSync(c.id, { cmd: ['sh', '-c', 'sleep 60 & sleep 60'], timeoutMs: 1000 });
    expect(result.timedOut).toBe(true);
    expect((await backend.containerState(c.id)).status).toBe('running');
    const ps = await backend.execSync(c.id, { cmd: ['ps', '-o', 'args'], timeoutMs: 5000 });
    expect(ps.stdout.toString()).not.toContain('sleep 60');
    const capped = await backend.execSync(c.id, { cmd: ['sh', '-c', 'head -c 100000 /dev/zero'], maxOutputBytes: 1000 });
    expect(capped.stdout.length).toBe(1000);
  });

  it('runs tty execs on the container\'s own terminal: CR LF from the first byte, exit codes, resize, kill', async () => {
    await setUp();
    const c = await run(['sleep', '3600']);
    const tty = (cmd: string[]) => backend.exec!(c.id, { cmd, tty: true, stdin: true, stdout: true, stderr: false });
    // runc's foreground relay used to give output written at once a second CR now and then
    const outputs: string[] = [];
    for (let i = 0; i < 10; i++) {
      const hello = await tty(['echo', 'hello']);
      const output = text(hello.stdout!);
      expect(await hello.exited).toBe(0);
      outputs.push(await output);
    }
    expect(new Set(outputs)).toEqual(new Set(['hello\r\n']));
    expect(await (await tty(['sh', '-c', 'exit 5'])).exited).toBe(5);

    const shell = await tty(['sh', '-c', 'echo ready; read line; echo "read $line"; trap "stty size" WINCH; while :; do sleep 0.05; done']);
    let seen = '';
    shell.stdout!.on('data', (d: Buffer) => (seen += d.toString()));
    await vi.waitFor(() => expect(seen).toContain('ready'), { timeout: 10_000 });
    shell.stdin!.write('typed\n');
    await vi.waitFor(() => expect(seen).toContain('read typed'), { timeout: 10_000 });
    shell.resize!({ width: 120, height: 40 });
    await vi.waitFor(() => expect(seen).toContain('40 120'), { timeout: 10_000 });
    shell.kill();
    expect(await shell.exited).toBe(137);
    const ps = await backend.execSync(c.id, { cmd: ['ps', '-o', 'args'], timeoutMs: 5000 });
    expect(ps.stdout.toString()).not.toContain('stty size');
  });

  it('fails a tty exec of a command that does not exist, with runc\'s reason', async () => {
    await setUp();
    const c = await run(['sleep', '3600']);
    const missing = await backend.exec!(c.id, { cmd: ['/no/such/command'], tty: true, stdin: false, stdout: true, stderr: false }).catch((e: unknown) => e);
    const failure = missing instanceof Error ? missing : await (missing as { exited: Promise<number> }).exited.catch((e: unknown) => e);
    expect(isShimError(failure, 'Internal')).toBe(true);
    expect((failure as Error).message).toMatch(new RegExp(`exec in container ${c.id}: .*/no/such/command`));
  });

  it('refuses exec in a stopped container, and unknown or bad ids', async () => {
    await setUp();
    const c = await run(['sh', '-c', 'exit 0']);
    await exitOf(c.id);
    await expect(backend.execSync(c.id, { cmd: ['true'] })).rejects.toSatisfy((e: unknown) => isShimError(e, 'FailedPrecondition'));
    await expect(backend.createContainer({ id: '../x', sandboxId: sandbox.id, spec: bed.spec('x', sandbox, ['true']), rootfs: bed.rootfs, logPath: '' })).rejects.toSatisfy((e: unknown) =>
      isShimError(e, 'InvalidArgument'),
    );
    await expect(backend.createContainer({ id: bed.id('ctr'), sandboxId: 'no-such-sandbox', spec: bed.spec('x', sandbox, ['true']), rootfs: bed.rootfs, logPath: '' })).rejects.toSatisfy(
      (e: unknown) => isShimError(e, 'NotFound'),
    );
  });

  it('fails the start of a container whose command does not exist, leaving no runtime container or conmon; remove takes the bundle', async () => {
    await setUp();
    const id = bed.id('ctr');
    // CreateContainer only writes the bundle; the runtime's container is made by StartContainer
    await backend.createContainer({ id, sandboxId: sandbox.id, spec: bed.spec(id, sandbox, ['/no/such/binary']), rootfs: bed.rootfs, logPath: join(bed.logs, `${id}.log`) });
    expect((await backend.containerState(id)).status).toBe('created');
    const error = await backend.startContainer(id).catch((e: unknown) => e);
    expect(isShimError(error)).toBe(true);
    expect((error as Error).message).toMatch(/no\/such\/binary|no such file/i);
    expect((await bed.leftovers()).containers).not.toContain(id);
    await backend.removeContainer(id);
    await expect(stat(backend.layout.container(id))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(backend.containerState(id)).rejects.toSatisfy((e: unknown) => isShimError(e, 'NotFound'));
  });

  it('applies resource updates made before the start to the container it starts', async () => {
    await setUp();
    const c = await run(['sleep', '3600'], { start: false });
    await backend.updateResources(c.id, { memory: { limit: 64 * 1024 * 1024 } });
    await backend.startContainer(c.id);
    const { pid } = await backend.containerState(c.id);
    const cgroup = (await readFile(`/proc/${pid}/cgroup`, 'utf8')).split('\n').find((l) => /:memory:/.test(l))?.split(':')[2] ?? '';
    expect(await readFile(join('/sys/fs/cgroup/memory', cgroup, 'memory.limit_in_bytes'), 'utf8')).toBe(`${64 * 1024 * 1024}\n`);
  });

  it('stops and removes containers that were created but never started (their conmons prestarted); a cancelled create leaves nothing', async () => {
    await setUp({ prestartConmon: true });
    const stopped = await run(['sleep', '3600'], { start: false });
    const removed = await run(['sleep', '3600'], { start: false });
    // each has a conmon parked for its start, which stop and remove end
    await vi.waitFor(() => expect([conmonsOf(stopped.id), conmonsOf(removed.id)].map((p) => p.length)).toEqual([1, 1]), { timeout: 10_000, interval: 20 });
    await backend.stopContainer(stopped.id, { timeoutSeconds: 0 });
    expect((await backend.containerState(stopped.id)).status).toBe('exited');
    await backend.removeContainer(removed.id);
    await expect(backend.containerState(removed.id)).rejects.toSatisfy((e: unknown) => isShimError(e, 'NotFound'));
    expect([...conmonsOf(stopped.id), ...conmonsOf(removed.id)]).toEqual([]);
    const id = bed.id('ctr');
    const cancelled = await backend
      .createContainer({ id, sandboxId: sandbox.id, spec: bed.spec(id, sandbox, ['sleep', '3600']), rootfs: bed.rootfs, logPath: '', signal: AbortSignal.abort() })
      .catch((e: unknown) => e);
    expect(isShimError(cancelled, 'Cancelled')).toBe(true);
    await expect(stat(backend.layout.container(id))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('runs a container with output discarded when there is no log path', async () => {
    await setUp();
    const id = bed.id('ctr');
    await backend.createContainer({ id, sandboxId: sandbox.id, spec: bed.spec(id, sandbox, ['sh', '-c', 'echo hi; exit 4']), rootfs: bed.rootfs, logPath: '' });
    made.push(id);
    await backend.startContainer(id);
    expect((await exitOf(id)).exitCode).toBe(4);
    await backend.reopenContainerLog(id);
  });

  it('reports cgroup stats: cpu, memory usage, working set, rss, page faults', async () => {
    await setUp();
    const c = await run(['sh', '-c', 'x=$(head -c 2000000 /dev/zero | tr "\\0" a); sleep 3600']);
    await new Promise((r) => setTimeout(r, 300));
    const usage = await backend.stats(c.id);
    expect(usage.timestamp).toBeInstanceOf(Date);
    expect(usage.memoryUsageBytes).toBeGreaterThan(0n);
    expect(usage.memoryWorkingSetBytes).toBeGreaterThan(0n);
    expect(usage.memoryRssBytes).toBeGreaterThan(0n);
    expect(usage.pageFaults).toBeGreaterThan(0n);
    expect(usage.cpuUsageCoreNanoSeconds).toBeGreaterThan(0n);
  });

  it('updates resources, read back from the cgroup', async () => {
    await setUp();
    const c = await run(['sleep', '3600']);
    const { pid } = await backend.containerState(c.id);
    await backend.updateResources(c.id, { memory: { limit: 64 * 1024 * 1024 }, cpu: { shares: 512 } });
    const cgroups = await readFile(`/proc/${String(pid)}/cgroup`, 'utf8');
    const path = (controller: string): string => {
      const line = cgroups.split('\n').find((l) => l.split(':')[1]?.split(',').includes(controller));
      return join('/sys/fs/cgroup', line?.split(':')[1] ?? controller, line?.split(':')[2] ?? '');
    };
    expect((await readFile(join(path('memory'), 'memory.limit_in_bytes'), 'utf8')).trim()).toBe(String(64 * 1024 * 1024));
    expect((await readFile(join(path('cpu'), 'cpu.shares'), 'utf8')).trim()).toBe('512');
    expect((await backend.stats(c.id)).memoryAvailableBytes).toBeGreaterThan(0n);
  });

  it('reopens the log: a new file is made and the old one stops growing', async () => {
    await setUp();
    const c = await run(['sh', '-c', 'i=0; while true; do echo line$i; i=$((i+1)); sleep 0.02; done']);
    await vi.waitFor(async () => expect((await logLines(c.logPath)).length).toBeGreaterThan(3));
    await rename(c.logPath, `${c.logPath}.1`);
    await backend.reopenContainerLog(c.id);
    const before = (await stat(`${c.logPath}.1`)).size;
    await vi.waitFor(async () => expect((await logLines(c.logPath)).length).toBeGreaterThan(3));
    expect((await stat(`${c.logPath}.1`)).size).toBe(before);
    await backend.stopContainer(c.id, { timeoutSeconds: 0 });
    await expect(backend.reopenContainerLog(c.id)).rejects.toSatisfy((e: unknown) => isShimError(e, 'FailedPrecondition'));
  });

  it('never asks the runtime for an oom_score_adj below its own without CAP_SYS_RESOURCE', async () => {
    await setUp();
    const c = await run(['sleep', '3600'], { oomScoreAdj: -999 });
    const { pid } = await backend.containerState(c.id);
    const score = Number((await readFile(`/proc/${String(pid)}/oom_score_adj`, 'utf8')).trim());
    expect(score).toBe(oomScoreLimits().canLower ? -999 : oomScoreLimits().current);
  });

  it('survives a restart: a new instance finds running and meanwhile-exited containers, their codes and complete logs', async () => {
    await setUp({ prestartConmon: true });
    const running = await run(['sleep', '3600']);
    const quitter = await run(['sh', '-c', 'sleep 0.5; echo bye; exit 5']);
    const pending = await run(['sh', '-c', 'echo late start'], { start: false });
    await vi.waitFor(() => expect(conmonsOf(pending.id)).toHaveLength(1), { timeout: 10_000, interval: 20 });
    await backend.close();
    expect(conmonsOf(pending.id)).toEqual([]); // its parked conmon ends with the backend
    // the quitter exits while no backend watches
    await vi.waitFor(() => stat(join(backend.layout.exitDir, quitter.id)), { timeout: 10_000, interval: 50 });
    backend = bed.backend();
    exits = [];
    backend.onExit((e) => exits.push(e));
    expect((await backend.containerState(running.id)).status).toBe('running');
    expect(await backend.containerState(quitter.id)).toMatchObject({ status: 'exited', exitCode: 5 });
    expect((await exitOf(quitter.id)).exitCode).toBe(5);
    expect(exits.some((e) => e.id === running.id)).toBe(false);
    expect((await logLines(quitter.logPath)).map((l) => l.split(' ').slice(1).join(' '))).toEqual(['stdout F bye']);
    expect((await backend.execSync(running.id, { cmd: ['echo', 'still here'] })).stdout.toString()).toBe('still here\n');
    expect(await backend.sandboxState(sandbox.id)).toBe('ready');
    await backend.stopContainer(running.id, { timeoutSeconds: 0 });
    expect((await exitOf(running.id)).exitCode).toBe(137);
    // created before the restart, started after it
    expect((await backend.containerState(pending.id)).status).toBe('created');
    await backend.startContainer(pending.id);
    expect((await exitOf(pending.id)).exitCode).toBe(0);
    expect((await logLines(pending.logPath)).map((l) => l.split(' ').slice(1).join(' '))).toEqual(['stdout F late start']);
  });

  it('reports runc as ready, and not ready with a reason when a binary is missing', async () => {
    await setUp();
    const info = await backend.info();
    expect(info).toMatchObject({ name: 'runc', cgroupDriver: 'cgroupfs', ready: true });
    expect(info.version).toMatch(/^\d+\.\d+/);
    expect(info.handlers.map((h) => h.name)).toEqual(['']);
    const noRunc = bed.backend({ runtime: '/no/such/runc' });
    const noConmon = bed.backend({ conmon: 'no-such-conmon', handlers: { crun: { binary: 'crun' } } });
    try {
      expect(await noRunc.info()).toMatchObject({ ready: false, message: expect.stringMatching(/no\/such\/runc/) });
      const second = await noConmon.info();
      expect(second).toMatchObject({ ready: false, message: expect.stringMatching(/conmon/) });
      // runc 1.1 on Linux 5.12+ makes rro mounts read-only all the way down; crun 1.8 does not know rro
      const kernel = release().split('.').map(Number);
      const rro = (kernel[0] ?? 0) > 5 || ((kernel[0] ?? 0) === 5 && (kernel[1] ?? 0) >= 12);
      expect(second.handlers).toEqual([{ name: '', recursiveReadOnlyMounts: rro, userNamespaces: true }, { name: 'crun', recursiveReadOnlyMounts: false, userNamespaces: true }]);
    } finally {
      await noRunc.close();
      await noConmon.close();
    }
  });
});

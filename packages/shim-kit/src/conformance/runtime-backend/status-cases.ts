import { expect } from 'vitest';
import type { ContainerUsage } from '../../interfaces/runtime-backend.js';
import { conformanceCase, type RuntimeBackendSuite } from './suite-context.js';

// Clocks of the backend and of this process may be read a little apart.
const SLACK_MS = 1000;
// How long a `spin` container works between two stats (a backend without exec).
const SPIN_MS = 300;

function expectWithin(date: Date | undefined, from: number, to: number, what: string): void {
  expect(date, what).toBeInstanceOf(Date);
  expect(date?.getTime(), `${what} is not before the call`).toBeGreaterThanOrEqual(from - SLACK_MS);
  expect(date?.getTime(), `${what} is not after the call`).toBeLessThanOrEqual(to + SLACK_MS);
}

const cpu = (u: ContainerUsage): bigint => u.cpuUsageCoreNanoSeconds ?? -1n;

/** The fields ContainerStatus and ContainerStats are made of. */
export function statusCases(suite: RuntimeBackendSuite): void {
  conformanceCase(suite, 'status-fields', 'reports status, pid, start and exit times and the exit code through a container life', async () => {
    const backend = suite.backend();
    const sb = await suite.sandbox();
    const { id } = await suite.create(sb, { kind: 'exit', exitCode: 4, delayMs: 500 });
    const created = await backend.containerState(id);
    expect(created.status).toBe('created');
    expect(created.exitCode, 'no exit code before it ran').toBeUndefined();
    const before = Date.now();
    const started = await backend.startContainer(id);
    const after = Date.now();
    expectWithin(started.startedAt, before, after, 'startedAt');
    const running = await backend.containerState(id);
    expect(running.status).toBe('running');
    expect(running.startedAt?.getTime()).toBe(started.startedAt.getTime());
    if (running.pid !== undefined) expect(running.pid, 'a pid is a positive integer').toBeGreaterThan(0);
    if (started.pid !== undefined && running.pid !== undefined) expect(running.pid).toBe(started.pid);
    const exited = await suite.exited(id);
    expect(exited).toMatchObject({ status: 'exited', exitCode: 4, oomKilled: false });
    expectWithin(exited.exitedAt, started.startedAt.getTime(), Date.now(), 'exitedAt');
    expect(exited.startedAt?.getTime()).toBe(started.startedAt.getTime());
    expect((await suite.exitOf(id)).exitedAt.getTime()).toBe(exited.exitedAt?.getTime());
  });

  conformanceCase(suite, 'stats', 'reports a running container\'s CPU time and memory working set with a timestamp', async () => {
    const { id } = await suite.start(await suite.sandbox());
    const before = Date.now();
    const usage = await suite.backend().stats(id);
    expectWithin(usage.timestamp, before, Date.now(), 'timestamp');
    expect(typeof usage.cpuUsageCoreNanoSeconds, 'cpuUsageCoreNanoSeconds').toBe('bigint');
    expect(typeof usage.memoryWorkingSetBytes, 'memoryWorkingSetBytes').toBe('bigint');
    for (const [field, value] of Object.entries(usage)) if (typeof value === 'bigint') expect(value, field).toBeGreaterThanOrEqual(0n);
  });

  conformanceCase(suite, 'stats-usage', 'counts the CPU time a container spends and the memory it holds', async () => {
    const backend = suite.backend();
    const canExec = await suite.canExec();
    const { id } = await suite.start(await suite.sandbox(), canExec ? { kind: 'sleep' } : { kind: 'spin' });
    const first = await backend.stats(id);
    if (canExec) {
      const work = await backend.execSync(id, { cmd: ['sh', '-c', 'i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done'], timeoutMs: 60_000 });
      expect(work.exitCode).toBe(0);
    } else {
      await new Promise((resolve) => setTimeout(resolve, SPIN_MS));
    }
    const second = await backend.stats(id);
    expect(cpu(second), 'CPU time grows with work').toBeGreaterThan(cpu(first));
    expect(second.memoryWorkingSetBytes ?? 0n, 'a running container holds some memory').toBeGreaterThan(0n);
    expect(second.timestamp.getTime()).toBeGreaterThanOrEqual(first.timestamp.getTime());
  });
}

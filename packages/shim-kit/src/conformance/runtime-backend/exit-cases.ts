import { expect } from 'vitest';
import type { ContainerExit } from '../../interfaces/runtime-backend.js';
import { conformanceCase, type RuntimeBackendSuite } from './suite-context.js';

/**
 * Waits until the container answers an exec, so its workload has had time to set up its signal
 * handling. Without exec, the returned start is all there is to wait for.
 */
async function settled(suite: RuntimeBackendSuite, id: string): Promise<void> {
  if (!(await suite.canExec())) {
    expect((await suite.backend().containerState(id)).status).toBe('running');
    return;
  }
  expect((await suite.backend().execSync(id, { cmd: ['true'], timeoutMs: suite.timeoutMs })).exitCode).toBe(0);
}

/** Exit codes, exit events, OOM kills and how StopContainer ends a container. */
export function exitCases(suite: RuntimeBackendSuite): void {
  conformanceCase(suite, 'exit-codes', 'reports the exit code of containers that end by themselves (0, 1, 3) in state and event', async () => {
    const sb = await suite.sandbox();
    for (const exitCode of [0, 1, 3]) {
      const { id } = await suite.start(sb, { kind: 'exit', exitCode });
      expect(await suite.exitOf(id)).toMatchObject({ id, exitCode, oomKilled: false });
      expect(await suite.exited(id)).toMatchObject({ status: 'exited', exitCode, oomKilled: false });
    }
  });

  conformanceCase(suite, 'exit-events', 'sends each exit once to every listener, none after unsubscribing, and keeps the first exit code', async () => {
    const backend = suite.backend();
    const sb = await suite.sandbox();
    const other: ContainerExit[] = [];
    const offOther = backend.onExit((e) => other.push(e));
    const first = await suite.start(sb, { kind: 'exit', exitCode: 2 });
    await suite.exitOf(first.id);
    expect(other.filter((e) => e.id === first.id)).toHaveLength(1);
    offOther();
    // stopping and removing a container that already exited neither re-reports it nor changes its code
    await backend.stopContainer(first.id, { timeoutSeconds: 0 });
    expect((await backend.containerState(first.id)).exitCode).toBe(2);
    await backend.removeContainer(first.id);
    const second = await suite.start(sb, { kind: 'exit', exitCode: 0 });
    await suite.exitOf(second.id);
    expect(suite.exits().filter((e) => e.id === first.id)).toHaveLength(1);
    expect(other.some((e) => e.id === second.id)).toBe(false);
  });

  conformanceCase(suite, 'oom', 'reports a container its memory limit killed as exit 137 with oomKilled', async () => {
    const { id } = await suite.start(await suite.sandbox(), { kind: 'oom' });
    expect(await suite.exitOf(id)).toMatchObject({ exitCode: 137, oomKilled: true });
    expect(await suite.exited(id)).toMatchObject({ exitCode: 137, oomKilled: true });
  });

  conformanceCase(suite, 'stop-signal', 'sends the stop signal first: a container that handles it ends with its own exit code', async () => {
    const { id } = await suite.start(await suite.sandbox(), { kind: 'trap', exitCode: 42 });
    await settled(suite, id);
    await suite.backend().stopContainer(id, { timeoutSeconds: 30, stopSignal: 'SIGTERM' });
    expect(await suite.backend().containerState(id)).toMatchObject({ status: 'exited', exitCode: 42 });
    expect((await suite.exitOf(id)).exitCode).toBe(42);
  });

  conformanceCase(suite, 'stop-timeout', 'SIGKILLs a container that ignores the stop signal once the timeout passed (137)', async () => {
    const { id } = await suite.start(await suite.sandbox(), { kind: 'sleep' });
    await settled(suite, id);
    await suite.backend().stopContainer(id, { timeoutSeconds: 1 });
    expect(await suite.backend().containerState(id)).toMatchObject({ status: 'exited', exitCode: 137, oomKilled: false });
  });
}

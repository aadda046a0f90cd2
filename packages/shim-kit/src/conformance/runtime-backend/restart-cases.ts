import { expect } from 'vitest';
import { conformanceCase, type RuntimeBackendSuite } from './suite-context.js';

const QUITTER_DELAY_MS = 1500;

/** A shim restarts with its pods running: a new backend over the same state must find them all. */
export function restartCases(suite: RuntimeBackendSuite): void {
  conformanceCase(suite, 'restart', 'a new instance over the same state finds its sandbox, running, exited and created containers', async () => {
    const sb = await suite.sandbox();
    const running = await suite.start(sb);
    const runningPid = (await suite.backend().containerState(running.id)).pid;
    const quitter = await suite.start(sb, { kind: 'exit', exitCode: 5, stdout: 'bye', delayMs: QUITTER_DELAY_MS });
    const pending = await suite.create(sb, { kind: 'exit', exitCode: 0 });
    // the quitter ends while no backend watches it
    const backend = await suite.reopen({ whileClosed: () => new Promise((resolve) => setTimeout(resolve, QUITTER_DELAY_MS + 500)) });

    expect(await backend.sandboxState(sb.id)).toBe('ready');
    const state = await backend.containerState(running.id);
    expect(state.status).toBe('running');
    if (runningPid !== undefined) expect(state.pid).toBe(runningPid);
    if (await suite.canExec()) {
      expect((await backend.execSync(running.id, { cmd: ['echo', 'still here'], timeoutMs: suite.timeoutMs })).stdout.toString()).toBe('still here\n');
    }
    expect(await suite.exited(quitter.id)).toMatchObject({ exitCode: 5, oomKilled: false });
    expect((await suite.exitOf(quitter.id)).exitCode, 'an exit that happened while closed still reaches listeners').toBe(5);
    if (suite.harness.skip?.logs === undefined) expect(await suite.readLog(quitter.logPath)).toMatch(/ stdout F bye\n$/);
    expect(suite.exits().some((e) => e.id === running.id)).toBe(false);

    expect((await backend.containerState(pending.id)).status).toBe('created');
    await backend.startContainer(pending.id);
    expect((await suite.exitOf(pending.id)).exitCode).toBe(0);
    await backend.stopContainer(running.id, { timeoutSeconds: 0 });
    expect((await suite.exitOf(running.id)).exitCode).toBe(137);
  });
}

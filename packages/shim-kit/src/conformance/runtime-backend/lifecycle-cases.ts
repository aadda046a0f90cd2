import { text } from 'node:stream/consumers';
import { expect } from 'vitest';
import { conformanceCase, type RuntimeBackendSuite } from './suite-context.js';

/** Info, the whole life of a container with exec in it, and ExecSync's timeout. */
export function lifecycleCases(suite: RuntimeBackendSuite): void {
  conformanceCase(suite, 'info', 'reports its name, version, cgroup driver, readiness and a default handler', async () => {
    const info = await suite.backend().info();
    expect(info.name).not.toBe('');
    expect(info.version).not.toBe('');
    expect(typeof info.ready).toBe('boolean');
    if (!info.ready) expect(info.reason ?? info.message, 'a not-ready backend says why').toBeTruthy();
    expect(info.handlers.map((h) => h.name)).toContain(suite.runtimeHandler);
    expect(['systemd', 'cgroupfs']).toContain(info.cgroupDriver);
  });

  conformanceCase(suite, 'lifecycle', 'creates, starts, execs in, updates, stops and removes a container; its exit is reported once', async () => {
    const backend = suite.backend();
    const sb = await suite.sandbox();
    expect(await backend.sandboxState(sb.id)).toBe('ready');
    const { id } = await suite.create(sb);
    expect((await backend.containerState(id)).status).toBe('created');
    const { startedAt } = await backend.startContainer(id);
    expect(startedAt).toBeInstanceOf(Date);
    expect((await backend.containerState(id)).status).toBe('running');
    if (await suite.canExec()) {
      const echo = await backend.execSync(id, { cmd: ['echo', 'hello'], timeoutMs: suite.timeoutMs });
      expect([echo.stdout.toString(), echo.stderr.toString(), echo.exitCode, echo.timedOut]).toEqual(['hello\n', '', 0, false]);
      expect((await backend.execSync(id, { cmd: ['false'], timeoutMs: suite.timeoutMs })).exitCode).toBe(1);
      expect((await backend.execSync(id, { cmd: ['sh', '-c', 'exit 3'], timeoutMs: suite.timeoutMs })).exitCode).toBe(3);
    } else {
      await suite.expectNoExec(id);
    }
    await backend.updateResources(id, { cpu: { shares: 256 } });
    await backend.stopContainer(id, { timeoutSeconds: 0 });
    expect(await backend.containerState(id)).toMatchObject({ status: 'exited', exitCode: 137 });
    expect((await suite.exitOf(id)).exitCode).toBe(137);
    await backend.removeContainer(id);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(suite.exits().filter((e) => e.id === id)).toHaveLength(1);
  });

  conformanceCase(suite, 'exec-timeout', 'kills an ExecSync command at its timeout and keeps the container running (exec: false: Unimplemented)', async () => {
    const backend = suite.backend();
    const { id } = await suite.start(await suite.sandbox());
    if (!(await suite.canExec())) {
      await suite.expectNoExec(id);
      expect((await backend.containerState(id)).status).toBe('running');
      return;
    }
    const result = await backend.execSync(id, { cmd: ['sleep', '30'], timeoutMs: 500 });
    expect(result.timedOut).toBe(true);
    expect((await backend.containerState(id)).status).toBe('running');
    expect((await backend.execSync(id, { cmd: ['echo', 'after'], timeoutMs: suite.timeoutMs })).stdout.toString()).toBe('after\n');
  });

  conformanceCase(suite, 'exec-stream', 'runs a streaming exec: stdin reaches the command, its stdout and exit code come back (exec: false: Unimplemented)', async () => {
    const backend = suite.backend();
    if (!(await suite.canExec())) {
      const { id } = await suite.start(await suite.sandbox());
      await suite.expectNoExec(id);
      return;
    }
    if (backend.exec === undefined) throw new Error('the backend has no exec (skip the case by name if that is intended)');
    const { id } = await suite.start(await suite.sandbox());
    const proc = await backend.exec(id, { cmd: ['cat'], tty: false, stdin: true, stdout: true, stderr: true });
    const out = proc.stdout === null ? Promise.resolve('') : text(proc.stdout);
    proc.stdin?.end('through the pipe\n');
    expect(await out).toBe('through the pipe\n');
    expect(await proc.exited).toBe(0);
    const failing = await backend.exec(id, { cmd: ['sh', '-c', 'exit 6'], tty: false, stdin: false, stdout: false, stderr: false });
    expect(await failing.exited).toBe(6);
  });
}

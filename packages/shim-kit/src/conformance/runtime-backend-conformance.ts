import type { PodSandboxConfig } from '@shimkit/cri-types';
import type { RuntimeSpec } from '@shimkit/oci-spec';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isShimError } from '../errors.js';
import type { ContainerExit, RuntimeBackend, SandboxInfo } from '../interfaces/runtime-backend.js';

/** What a RuntimeBackend conformance run needs: the backend and containers it can really run. */
export interface RuntimeBackendHarness {
  create(): Promise<RuntimeBackend>;
  /** The pod config sandboxes are run with (default: a minimal one). */
  sandboxConfig?(): PodSandboxConfig;
  /** netns for sandboxes (default none: host network). */
  netnsPath?(sandboxId: string): Promise<string | undefined>;
  /**
   * A container whose main process runs until killed (e.g. `sleep 3600` in busybox),
   * with `echo`, `false`, `sh` and `sleep` available for exec.
   */
  container(id: string, sandbox: SandboxInfo & { id: string }): Promise<{ spec: RuntimeSpec; rootfs: string; logPath: string }>;
  /** Removes everything the run made (called after each test, after the backend is closed). */
  cleanup?(): Promise<void>;
  /** Bound on waits for exits (default 10 s). */
  timeoutMs?: number;
}

const unique = (prefix: string): string => `${prefix}-${process.pid}-${Math.random().toString(16).slice(2, 10)}`;

/**
 * The behaviour every {@link RuntimeBackend} must have, run against the fake here and against
 * the runc + conmon backend once it exists: lifecycle, exit reporting, idempotent stop and
 * remove, NotFound for unknown ids, ExecSync output, exit codes and timeout.
 */
export function runtimeBackendConformance(name: string, harness: RuntimeBackendHarness): void {
  describe(`RuntimeBackend conformance: ${name}`, () => {
    let backend: RuntimeBackend;
    let exits: ContainerExit[];
    let off: () => void;
    const made: { sandboxes: string[]; containers: string[] } = { sandboxes: [], containers: [] };
    const timeout = harness.timeoutMs ?? 10_000;

    beforeEach(async () => {
      backend = await harness.create();
      exits = [];
      off = backend.onExit((e) => exits.push(e));
    });
    afterEach(async () => {
      for (const id of made.containers.splice(0)) await backend.removeContainer(id).catch(() => undefined);
      for (const id of made.sandboxes.splice(0)) {
        await backend.stopSandbox(id).catch(() => undefined);
        await backend.removeSandbox(id).catch(() => undefined);
      }
      off();
      await backend.close();
      await harness.cleanup?.();
    });

    async function sandbox(): Promise<SandboxInfo & { id: string }> {
      const id = unique('sb');
      const netnsPath = await harness.netnsPath?.(id);
      const config = harness.sandboxConfig?.() ?? ({ metadata: { name: id, namespace: 'conformance', uid: id, attempt: 0 } } as PodSandboxConfig);
      const info = await backend.runSandbox({ id, config, runtimeHandler: '', ...(netnsPath === undefined ? {} : { netnsPath }) });
      made.sandboxes.push(id);
      return { ...info, id };
    }

    async function running(sb: SandboxInfo & { id: string }): Promise<string> {
      const id = unique('ctr');
      const c = await harness.container(id, sb);
      await backend.createContainer({ id, sandboxId: sb.id, ...c });
      made.containers.push(id);
      expect((await backend.containerState(id)).status).toBe('created');
      const { startedAt } = await backend.startContainer(id);
      expect(startedAt).toBeInstanceOf(Date);
      return id;
    }

    it('reports itself ready with a default handler', async () => {
      const info = await backend.info();
      expect(typeof info.ready).toBe('boolean');
      expect(info.handlers.map((h) => h.name)).toContain('');
      expect(['systemd', 'cgroupfs']).toContain(info.cgroupDriver);
    });

    it('creates, starts, execs in, stops and removes a container; the exit is reported once', async () => {
      const sb = await sandbox();
      expect(await backend.sandboxState(sb.id)).toBe('ready');
      const id = await running(sb);
      const state = await backend.containerState(id);
      expect(state.status).toBe('running');
      const echo = await backend.execSync(id, { cmd: ['echo', 'hello'], timeoutMs: timeout });
      expect([echo.stdout.toString(), echo.exitCode, echo.timedOut]).toEqual(['hello\n', 0, false]);
      expect((await backend.execSync(id, { cmd: ['false'], timeoutMs: timeout })).exitCode).toBe(1);
      expect((await backend.execSync(id, { cmd: ['sh', '-c', 'exit 3'], timeoutMs: timeout })).exitCode).toBe(3);
      expect((await backend.stats(id)).timestamp).toBeInstanceOf(Date);
      await backend.updateResources(id, { cpu: { shares: 256 } });
      await backend.stopContainer(id, { timeoutSeconds: 0 });
      const stopped = await backend.containerState(id);
      expect(stopped).toMatchObject({ status: 'exited', exitCode: 137 });
      await vi.waitFor(() => expect(exits.filter((e) => e.id === id)).toHaveLength(1), { timeout, interval: 20 });
      expect(exits.find((e) => e.id === id)?.exitCode).toBe(137);
      await backend.stopContainer(id, { timeoutSeconds: 0 });
      await backend.removeContainer(id);
      await backend.removeContainer(id);
      expect(exits.filter((e) => e.id === id)).toHaveLength(1);
      await expect(backend.containerState(id)).rejects.toSatisfy((e: unknown) => isShimError(e, 'NotFound'));
    });

    it('kills an ExecSync command at its timeout and keeps the container running', async () => {
      const id = await running(await sandbox());
      const started = Date.now();
      const result = await backend.execSync(id, { cmd: ['sleep', '30'], timeoutMs: 500 });
      expect(result.timedOut).toBe(true);
      expect(Date.now() - started).toBeLessThan(timeout);
      expect((await backend.containerState(id)).status).toBe('running');
    });

    it('answers NotFound for unknown ids and AlreadyExists for a used one; stop/remove of unknown ones succeed', async () => {
      const notFound = (e: unknown): boolean => isShimError(e, 'NotFound');
      await expect(backend.containerState('no-such-container')).rejects.toSatisfy(notFound);
      await expect(backend.startContainer('no-such-container')).rejects.toSatisfy(notFound);
      await expect(backend.execSync('no-such-container', { cmd: ['true'] })).rejects.toSatisfy(notFound);
      await expect(backend.stats('no-such-container')).rejects.toSatisfy(notFound);
      await expect(backend.sandboxState('no-such-sandbox')).rejects.toSatisfy(notFound);
      await backend.removeContainer('no-such-container');
      await backend.stopSandbox('no-such-sandbox');
      await backend.removeSandbox('no-such-sandbox');
      const sb = await sandbox();
      const id = await running(sb);
      const again = await harness.container(id, sb);
      await expect(backend.createContainer({ id, sandboxId: sb.id, ...again })).rejects.toSatisfy((e: unknown) => isShimError(e, 'AlreadyExists'));
    });
  });
}

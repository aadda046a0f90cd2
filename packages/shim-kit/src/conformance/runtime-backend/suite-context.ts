import { readFile } from 'node:fs/promises';
import type { PodSandboxConfig } from '@shimkit/cri-types';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { isShimError } from '../../errors.js';
import type { ContainerExit, ContainerRuntimeState, RuntimeBackend, RuntimeHandlerInfo, SandboxInfo } from '../../interfaces/runtime-backend.js';
import type { ConformanceWorkload, RuntimeBackendCase, RuntimeBackendHarness } from './harness.js';

declare module 'vitest' {
  interface TaskMeta {
    /** Why a skipped case is skipped (the harness's `skip`), for reporters. */
    skipReason?: string;
  }
}

/** A sandbox the suite made: what the backend returned, with its id. */
export type SuiteSandbox = SandboxInfo & { id: string };

/** A container the suite made. */
export interface SuiteContainer {
  id: string;
  logPath: string;
}

/** What the cases of one {@link runtimeBackendConformance} run share: the current backend and helpers. */
export interface RuntimeBackendSuite {
  readonly harness: RuntimeBackendHarness;
  readonly timeoutMs: number;
  /** The backend of the running test. */
  backend(): RuntimeBackend;
  /** Exits the current backend reported, in order. */
  exits(): ContainerExit[];
  /**
   * Closes the current backend (its containers keep running), awaits `whileClosed`, and makes a
   * new one over the same state.
   */
  reopen(options?: { whileClosed?: () => Promise<void> }): Promise<RuntimeBackend>;
  /** The runtime handler sandboxes are run with. */
  readonly runtimeHandler: string;
  /** What the backend's info() says about {@link runtimeHandler} (fails the case when it does not list it). */
  handlerInfo(): Promise<RuntimeHandlerInfo>;
  /** False when the handler declares `exec: false`: exec cases then check the Unimplemented answer. */
  canExec(): Promise<boolean>;
  /** Checks that ExecSync and a streaming exec in `id` answer Unimplemented naming the handler. */
  expectNoExec(id: string): Promise<void>;
  /** The pod config sandboxes are run with. */
  podConfig(id: string): PodSandboxConfig;
  sandbox(): Promise<SuiteSandbox>;
  /** Creates a container doing `workload` (not started). */
  create(sandbox: SuiteSandbox, workload?: ConformanceWorkload): Promise<SuiteContainer>;
  /** Creates and starts a container doing `workload`. */
  start(sandbox: SuiteSandbox, workload?: ConformanceWorkload): Promise<SuiteContainer>;
  /** Waits for the container's exit event (the first one). */
  exitOf(id: string): Promise<ContainerExit>;
  /** Waits until the backend reports the container exited and returns that state. */
  exited(id: string): Promise<ContainerRuntimeState>;
  /** The container's CRI log file. */
  readLog(logPath: string): Promise<string>;
}

/** A check that the error is Unimplemented and its message names `handler`. */
const unimplementedFor =
  (handler: string) =>
  (e: unknown): boolean =>
    isShimError(e, 'Unimplemented') && (e as Error).message.includes(handler);

const unique = (prefix: string): string => `${prefix}-${process.pid}-${Math.random().toString(16).slice(2, 10)}`;

/**
 * Registers a case, or a skipped placeholder naming the harness's reason in its title and as
 * `meta.skipReason`, where a reporter can list it.
 */
export function conformanceCase(suite: RuntimeBackendSuite, name: RuntimeBackendCase, title: string, body: () => Promise<void>): void {
  const reason = suite.harness.skip?.[name];
  if (reason === undefined) it(`[${name}] ${title}`, body);
  else it(`[${name}] ${title} (skipped: ${reason})`, { skip: true, meta: { skipReason: reason } }, body);
}

/** Registers the per-test hooks (a fresh backend before, everything removed after) and returns the shared helpers. */
export function useRuntimeBackendSuite(harness: RuntimeBackendHarness): RuntimeBackendSuite {
  const timeoutMs = harness.timeoutMs ?? 10_000;
  let backend: RuntimeBackend | undefined;
  let exits: ContainerExit[] = [];
  let off: () => void = () => undefined;
  const made: { sandboxes: string[]; containers: string[] } = { sandboxes: [], containers: [] };

  const open = async (): Promise<RuntimeBackend> => {
    const b = await harness.create();
    exits = [];
    off = b.onExit((e) => exits.push(e));
    backend = b;
    return b;
  };
  const current = (): RuntimeBackend => {
    if (backend === undefined) throw new Error('runtimeBackendConformance: no backend (harness.create failed?)');
    return backend;
  };

  beforeEach(async () => {
    await open();
  });
  afterEach(async () => {
    const b = backend;
    backend = undefined;
    if (b !== undefined) {
      for (const id of made.containers.splice(0)) await b.removeContainer(id).catch(() => undefined);
      for (const id of made.sandboxes.splice(0)) {
        await b.stopSandbox(id).catch(() => undefined);
        await b.removeSandbox(id).catch(() => undefined);
      }
      off();
      await b.close();
    }
    await harness.cleanup?.();
  });

  const runtimeHandler = harness.runtimeHandler ?? '';
  const suite: RuntimeBackendSuite = {
    harness,
    timeoutMs,
    runtimeHandler,
    async handlerInfo() {
      const { handlers } = await current().info();
      const found = handlers.find((h) => h.name === runtimeHandler);
      expect(found, `info() lists the runtime handler ${JSON.stringify(runtimeHandler)}`).toBeDefined();
      return found as RuntimeHandlerInfo;
    },
    canExec: async () => (await suite.handlerInfo()).exec !== false,
    async expectNoExec(id) {
      const backend = current();
      await expect(backend.execSync(id, { cmd: ['true'], timeoutMs: timeoutMs }), 'ExecSync').rejects.toSatisfy(unimplementedFor(runtimeHandler));
      if (backend.exec !== undefined) {
        await expect(backend.exec(id, { cmd: ['true'], tty: false, stdin: false, stdout: true, stderr: true }), 'Exec').rejects.toSatisfy(unimplementedFor(runtimeHandler));
      }
    },
    backend: current,
    exits: () => exits,
    async reopen(options = {}) {
      off();
      await current().close();
      backend = undefined;
      await options.whileClosed?.();
      return open();
    },
    podConfig: (id) => harness.sandboxConfig?.() ?? ({ metadata: { name: id, namespace: 'conformance', uid: id, attempt: 0 } } as PodSandboxConfig),
    async sandbox() {
      const id = unique('sb');
      const netnsPath = await harness.netnsPath?.(id);
      const info = await current().runSandbox({ id, config: suite.podConfig(id), runtimeHandler, ...(netnsPath === undefined ? {} : { netnsPath }) });
      made.sandboxes.push(id);
      return { ...info, id };
    },
    async create(sandbox, workload) {
      const id = unique('ctr');
      const parts = await harness.container(id, sandbox, workload ?? { kind: 'sleep' });
      await current().createContainer({ id, sandboxId: sandbox.id, ...parts });
      made.containers.push(id);
      return { id, logPath: parts.logPath };
    },
    async start(sandbox, workload) {
      const made = await suite.create(sandbox, workload);
      await current().startContainer(made.id);
      return made;
    },
    async exitOf(id) {
      await vi.waitFor(() => expect(exits.some((e) => e.id === id), `an exit event for ${id}`).toBe(true), { timeout: timeoutMs, interval: 20 });
      return exits.find((e) => e.id === id) as ContainerExit;
    },
    async exited(id) {
      return vi.waitFor(
        async () => {
          const state = await current().containerState(id);
          expect(state.status, `state of ${id}`).toBe('exited');
          return state;
        },
        { timeout: timeoutMs, interval: 20 },
      );
    },
    readLog: (logPath) => harness.readLog?.(logPath) ?? readFile(logPath, 'utf8'),
  };
  return suite;
}

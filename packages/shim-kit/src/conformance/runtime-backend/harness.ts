import type { PodSandboxConfig } from '@shimkit/cri-types';
import type { RuntimeSpec } from '@shimkit/oci-spec';
import type { RuntimeBackend, SandboxInfo } from '../../interfaces/runtime-backend.js';

/**
 * What a conformance case needs a container to do. The harness turns it into a container its
 * backend can run (for a busybox rootfs: {@link busyboxWorkloadArgs}).
 */
export type ConformanceWorkload =
  /** Runs until killed and ignores SIGTERM. */
  | { kind: 'sleep' }
  /** Writes `stdout` and `stderr` (each followed by a newline when given), waits `delayMs`, exits with `exitCode`. */
  | { kind: 'exit'; exitCode: number; stdout?: string; stderr?: string; delayMs?: number }
  /** Runs until it gets SIGTERM, then exits with `exitCode`. */
  | { kind: 'trap'; exitCode: number }
  /** Allocates memory past its own limit, so the kernel's OOM killer ends it. */
  | { kind: 'oom' }
  /**
   * Keeps a CPU busy until killed. Only asked of a backend whose handler declares `exec: false`
   * (the stats cases make the work with an exec otherwise).
   */
  | { kind: 'spin' };

/** A container ready for {@link RuntimeBackend.createContainer}. */
export interface ConformanceContainer {
  spec: RuntimeSpec;
  rootfs: string;
  /** Where the backend writes the CRI log file ('' for none). */
  logPath: string;
}

/** The cases of {@link runtimeBackendConformance}, by the name a harness skips them with. */
export type RuntimeBackendCase =
  | 'info'
  | 'lifecycle'
  | 'exec-timeout'
  | 'exec-stream'
  | 'exit-codes'
  | 'exit-events'
  | 'oom'
  | 'stop-signal'
  | 'stop-timeout'
  | 'status-fields'
  | 'stats'
  | 'stats-usage'
  | 'logs'
  | 'idempotent-stop-remove'
  | 'remove-running'
  | 'unknown-ids'
  | 'already-exists'
  | 'restart';

/** What a RuntimeBackend conformance run needs: the backend and containers it can really run. */
export interface RuntimeBackendHarness {
  /**
   * A backend instance. Every call must give one over the same state (its directories), so that
   * the `restart` case can close one and find its containers with the next.
   */
  create(): Promise<RuntimeBackend>;
  /** The runtime handler sandboxes are run with (default '': the backend's default). */
  runtimeHandler?: string;
  /** The pod config sandboxes are run with (default: a minimal one). */
  sandboxConfig?(): PodSandboxConfig;
  /** netns for sandboxes (default none: host network). */
  netnsPath?(sandboxId: string): Promise<string | undefined>;
  /**
   * A container of the sandbox doing `workload` (default `{ kind: 'sleep' }`). The container
   * must also offer `echo`, `false`, `sh` and `sleep` for exec, unless the handler's
   * `RuntimeHandlerInfo` in `info()` says `exec: false`: then the suite checks that exec answers
   * Unimplemented naming the handler instead.
   */
  container(id: string, sandbox: SandboxInfo & { id: string }, workload?: ConformanceWorkload): Promise<ConformanceContainer>;
  /** Reads the CRI log file at `logPath` (default: read it from this host's file system). */
  readLog?(logPath: string): Promise<string>;
  /** Cases this backend cannot pass, by name, with the reason (shown in the skipped test's title). */
  skip?: Partial<Record<RuntimeBackendCase, string>>;
  /** Removes everything the run made (called after each test, after the backend is closed). */
  cleanup?(): Promise<void>;
  /** Bound on waits for exits (default 10 s). */
  timeoutMs?: number;
}

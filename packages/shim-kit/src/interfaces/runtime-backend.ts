import type { PodSandboxConfig } from '@shimkit/cri-types';
import type { Mount, Resources, RuntimeSpec } from '@shimkit/oci-spec';
import type { Readable, Writable } from 'node:stream';
import type { OperationOptions } from './operation-options.js';

/** Namespaces a sandbox pins (host paths such as `/proc/<pid>/ns/ipc` or a bind mount); containers of the pod join them. */
export interface SandboxNamespaces {
  network?: string;
  ipc?: string;
  uts?: string;
  /** Present only when the pod shares one PID namespace (needs an infra process). */
  pid?: string;
  /** The pod's own user namespace (its other namespaces belong to it). */
  user?: string;
}

/** What starting a sandbox produced. */
export interface SandboxInfo {
  /** pid of the infra (pause) process, if the backend runs one. */
  pid?: number;
  /** Namespaces the pod's containers join. */
  namespaces: SandboxNamespaces;
  /** Mounts every container of the pod gets (resolv.conf, hostname, hosts, /dev/shm ...). */
  mounts: Mount[];
}

/** Options of {@link RuntimeBackend.runSandbox}. */
export interface RunSandboxOptions extends OperationOptions {
  /** Sandbox id chosen by the shim. */
  id: string;
  /** The pod's CRI configuration (hostname, DNS, sysctls, security context, cgroup parent ...). */
  config: PodSandboxConfig;
  /**
   * Network namespace the PodNetwork prepared. Undefined for a host-network pod, and when
   * {@link RuntimeBackend.sandboxNeedsNetns} said the sandbox can start without it.
   */
  netnsPath?: string;
  /** The pod's user namespace, pinned with its network namespace by the PodNetwork (pods with their own). */
  usernsPath?: string;
  /** The runtime handler kubelet asked for ('' = default). */
  runtimeHandler: string;
}

/** Options of {@link RuntimeBackend.createContainer}. */
export interface CreateContainerOptions extends OperationOptions {
  id: string;
  sandboxId: string;
  /** The complete, validated runtime spec (`root.path` is `rootfs`). */
  spec: RuntimeSpec;
  /** Host path of the prepared root filesystem. */
  rootfs: string;
  /** Absolute path of the CRI log file the container's stdout and stderr go to; '' when kubelet gave none (output is discarded). */
  logPath: string;
  /** Keep stdin open for attach. */
  stdin?: boolean;
  stdinOnce?: boolean;
}

/** Options of {@link RuntimeBackend.stopContainer}. */
export interface StopContainerOptions extends OperationOptions {
  /** Seconds to wait after the stop signal before SIGKILL; 0 kills at once. */
  timeoutSeconds: number;
  /** The first signal, e.g. `SIGTERM` (default) or the image's StopSignal. */
  stopSignal?: string;
}

/** Options of {@link RuntimeBackend.execSync}. */
export interface ExecSyncOptions extends OperationOptions {
  /** Command and arguments. */
  cmd: string[];
  /** Kill the command (and what it started) after this many ms; 0 or undefined = no timeout. */
  timeoutMs?: number;
  /** Output kept per stream; more is dropped (default {@link EXEC_SYNC_MAX_OUTPUT_BYTES}). */
  maxOutputBytes?: number;
}

/** kubelet's cap on ExecSync output, per stream. */
export const EXEC_SYNC_MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/** What a synchronous exec returned. */
export interface ExecSyncResult {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
  /** The timeout fired and the command was killed. */
  timedOut: boolean;
}

/** A terminal's size in character cells. */
export interface TerminalSize {
  width: number;
  height: number;
}

/** Options of {@link RuntimeBackend.exec}. */
export interface ExecOptions extends OperationOptions {
  /** Command and arguments. */
  cmd: string[];
  /** Run on a terminal: its output comes on `stdout` (no `stderr`). Backends may refuse with `Unimplemented`. */
  tty: boolean;
  /** Which of the process's streams the caller wants as pipes; the others are discarded. */
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

/** A command {@link RuntimeBackend.exec} started in a container: a child-process-like handle. */
export interface ExecProcess {
  /** Pipes the caller asked for; null for the others. */
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /** Resolves with the exit code (128+n when killed by signal n) once the command exited. */
  readonly exited: Promise<number>;
  /** Kills the command (SIGKILL); idempotent. */
  kill(): void;
  /** Sets the size of the command's terminal (tty execs). */
  resize?(size: TerminalSize): void;
}

/** Options of {@link RuntimeBackend.attach}. */
export interface AttachOptions extends OperationOptions {
  /** Which of the container's streams the caller wants; the container's stdin exists only when it was created with `stdin`. */
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

/** A connection to the stdio of a running container (CRI Attach). */
export interface AttachSession {
  /**
   * Writes to the container's stdin. Ending it closes the container's stdin when the container was
   * created with `stdinOnce`; otherwise the stdin stays open for the next attach.
   */
  readonly stdin: Writable | null;
  /** The container's output from now on (a tty container's output comes on `stdout`). */
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /** Resolves when the connection ended: the container exited or {@link detach} was called. */
  readonly ended: Promise<void>;
  /** Leaves the container running and ends the connection; idempotent. */
  detach(): void;
  /** Sets the size of the container's terminal (tty containers). */
  resize?(size: TerminalSize): void;
}

/** The runtime's view of a container. */
export interface ContainerRuntimeState {
  status: 'created' | 'running' | 'exited' | 'unknown';
  pid?: number;
  startedAt?: Date;
  exitCode?: number;
  exitedAt?: Date;
  oomKilled?: boolean;
}

/** A container exit as the backend's monitor saw it. */
export interface ContainerExit {
  id: string;
  /** Exit code; 128+n when killed by signal n. */
  exitCode: number;
  exitedAt: Date;
  oomKilled: boolean;
}

/** Resource usage of a container (from its cgroup). Missing fields are unknown. */
export interface ContainerUsage {
  timestamp: Date;
  cpuUsageCoreNanoSeconds?: bigint;
  memoryUsageBytes?: bigint;
  memoryWorkingSetBytes?: bigint;
  memoryAvailableBytes?: bigint;
  memoryRssBytes?: bigint;
  pageFaults?: bigint;
  majorPageFaults?: bigint;
}

/** A runtime handler the backend offers (`runc`, `crun` ...). */
export interface RuntimeHandlerInfo {
  /** '' is the default handler. */
  name: string;
  recursiveReadOnlyMounts: boolean;
  userNamespaces: boolean;
  /**
   * False when the handler's containers cannot do these (e.g. WASI preview 1 modules: no
   * processes to exec, nothing that listens): Exec, Attach and PortForward then answer
   * Unimplemented naming the handler. Default true.
   */
  exec?: boolean;
  attach?: boolean;
  portForward?: boolean;
}

/** What the backend reports for Version, Status and RuntimeConfig. */
export interface RuntimeBackendInfo {
  /** e.g. `runc`. */
  name: string;
  version: string;
  cgroupDriver: 'systemd' | 'cgroupfs';
  handlers: RuntimeHandlerInfo[];
  /** False when the backend cannot run containers (binary missing ...); `reason`/`message` say why. */
  ready: boolean;
  reason?: string;
  message?: string;
}

/**
 * Runs sandboxes and containers: what a runc + conmon backend, a fake or an adapter to
 * another runtime implements. Ids are chosen by the shim. Unknown ids throw
 * `ShimError('NotFound')`, except in the idempotent stop/remove calls.
 */
export interface RuntimeBackend {
  /**
   * Whether `runSandbox` needs the pod's network namespace (`netnsPath`) for this config. When it
   * answers false, the shim sets the network up at the same time and adds the netns path to the
   * returned namespaces itself. A backend without this method always gets `netnsPath` first.
   * `runtimeHandler` is the handler the pod asks for (for a backend serving several).
   */
  sandboxNeedsNetns?(config: PodSandboxConfig, runtimeHandler?: string): boolean;
  /** Starts a sandbox (an infra process, or pinned namespaces). */
  runSandbox(options: RunSandboxOptions): Promise<SandboxInfo>;
  /** Stops what the sandbox still runs; idempotent. */
  stopSandbox(id: string, options?: OperationOptions): Promise<void>;
  /** Removes what the sandbox left; idempotent. */
  removeSandbox(id: string, options?: OperationOptions): Promise<void>;
  /**
   * Whether the sandbox still works (its infra process or pinned namespaces are there), e.g.
   * after a reboot or a restart of the shim; `NotFound` when the backend has no such sandbox.
   */
  sandboxState(id: string, options?: OperationOptions): Promise<'ready' | 'notready'>;

  /** Creates a container (not started); throws `AlreadyExists` for a used id. */
  createContainer(options: CreateContainerOptions): Promise<void>;
  /** Starts a created container. */
  startContainer(id: string, options?: OperationOptions): Promise<{ startedAt: Date; pid?: number }>;
  /** Sends the stop signal, waits `timeoutSeconds`, then SIGKILLs; resolves once the container has exited. Idempotent for an exited container. */
  stopContainer(id: string, options: StopContainerOptions): Promise<void>;
  /** Deletes the container (killing it if needed); idempotent. */
  removeContainer(id: string, options?: OperationOptions): Promise<void>;
  /** The container's state as the runtime knows it (after a restart, too). */
  containerState(id: string, options?: OperationOptions): Promise<ContainerRuntimeState>;
  /** Runs a command in a running container and waits for it. */
  execSync(id: string, options: ExecSyncOptions): Promise<ExecSyncResult>;
  /**
   * Starts a command in a running container with its streams as pipes (Exec over the streaming
   * server); optional: without it the Exec RPC answers `Unimplemented`.
   */
  exec?(id: string, options: ExecOptions): Promise<ExecProcess>;
  /** Connects to the stdio of a running container; optional: without it the Attach RPC answers `Unimplemented`. */
  attach?(id: string, options: AttachOptions): Promise<AttachSession>;
  /** Changes the cgroup limits of a container. */
  updateResources(id: string, resources: Resources, options?: OperationOptions): Promise<void>;
  /** Current resource usage. */
  stats(id: string, options?: OperationOptions): Promise<ContainerUsage>;
  /** Starts a new log file (kubelet rotated the old one); optional. */
  reopenContainerLog?(id: string, options?: OperationOptions): Promise<void>;

  /** Calls `listener` for every container exit, including ones noticed after a restart; returns the unsubscribe function. */
  onExit(listener: (exit: ContainerExit) => void): () => void;
  /** Name, version, cgroup driver, handlers and readiness. Called on hot paths (RunPodSandbox, CreateContainer): answer from memory. */
  info(options?: OperationOptions): Promise<RuntimeBackendInfo>;
  /** Stops watching; containers keep running. */
  close(): Promise<void>;
}

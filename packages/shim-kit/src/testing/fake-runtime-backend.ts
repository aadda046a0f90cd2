import { constants } from 'node:os';
import { PassThrough } from 'node:stream';
import type { Resources, RuntimeSpec } from '@shimkit/oci-spec';
import type { PodSandboxConfig } from '@shimkit/cri-types';
import { sandboxNeedsNetnsAtStart } from '../lifecycle/sandbox-netns.js';
import { ShimError } from '../errors.js';
import type { OperationOptions } from '../interfaces/operation-options.js';
import type {
  AttachOptions,
  AttachSession,
  ContainerExit,
  ContainerRuntimeState,
  ContainerUsage,
  CreateContainerOptions,
  ExecOptions,
  ExecProcess,
  ExecSyncOptions,
  ExecSyncResult,
  RunSandboxOptions,
  RuntimeBackend,
  RuntimeBackendInfo,
  SandboxInfo,
  StopContainerOptions,
  TerminalSize,
} from '../interfaces/runtime-backend.js';
import { EXEC_SYNC_MAX_OUTPUT_BYTES } from '../interfaces/runtime-backend.js';
import { CallRecorder } from './call-recorder.js';

/** Methods of {@link FakeRuntimeBackend} that record calls and accept injected errors. */
export type FakeRuntimeMethod =
  | 'runSandbox' | 'stopSandbox' | 'removeSandbox' | 'sandboxState' | 'createContainer' | 'startContainer' | 'stopContainer'
  | 'removeContainer' | 'containerState' | 'execSync' | 'exec' | 'attach' | 'updateResources' | 'stats' | 'reopenContainerLog' | 'info';

/** A sandbox the fake runs. */
export interface FakeSandbox {
  id: string;
  state: 'ready' | 'stopped';
  netnsPath?: string;
  runtimeHandler: string;
}

/** A container the fake holds. */
export interface FakeContainer {
  id: string;
  sandboxId: string;
  /** CRI container name (from the spec's `io.kubernetes.cri.container-name` annotation). */
  name: string;
  spec: RuntimeSpec;
  rootfs: string;
  logPath: string;
  status: ContainerRuntimeState['status'];
  pid?: number;
  startedAt?: Date;
  exitCode?: number;
  exitedAt?: Date;
  oomKilled: boolean;
  resources: Resources;
  logReopens: number;
  /** Created with stdin / stdin_once (what Attach may use). */
  stdin: boolean;
  stdinOnce: boolean;
  /** What attached clients wrote to the container's stdin. */
  stdinReceived: string;
  /** An attached client closed the stdin of a stdin_once container. */
  stdinClosed: boolean;
  /** Sizes tty execs and attaches set, in order. */
  terminalSizes: TerminalSize[];
}

/** The container side of one fake attach. */
interface FakeAttachment {
  stdout: PassThrough;
  stderr: PassThrough;
  end: () => void;
}

/** A scripted exit: the container ends by itself this long after it starts. */
export interface ScriptedExit {
  exitCode: number;
  /** ms after start (default 0). */
  afterMs?: number;
  oomKilled?: boolean;
  /** Apply to this many starts, then drop the script (default: every start). */
  times?: number;
}

/** Answers ExecSync in the fake; may be async (a slow command) to exercise timeouts. */
export type FakeExecResponder = (container: FakeContainer, cmd: string[], stdin?: Buffer) => Partial<Omit<ExecSyncResult, 'timedOut'>> | Promise<Partial<Omit<ExecSyncResult, 'timedOut'>>>;

const DEFAULT_INFO: RuntimeBackendInfo = {
  name: 'fake-runtime',
  version: '0.1.0',
  cgroupDriver: 'cgroupfs',
  handlers: [{ name: '', recursiveReadOnlyMounts: false, userNamespaces: false }],
  ready: true,
};

/**
 * A few commands behave as busybox's do, so tests (and the conformance suite) can use them
 * against fakes and real runtimes alike: `echo`, `true`, `false`, `sleep N`,
 * `sh -c 'exit N'`, `cat` (echoes the stdin of a streaming exec); anything else exits 0 silently.
 */
const defaultExec: FakeExecResponder = async (_c, cmd, stdin) => {
  const [name, ...args] = cmd;
  if (name === 'cat') return { stdout: stdin ?? Buffer.alloc(0) };
  if (name === 'echo') return { stdout: Buffer.from(`${args.join(' ')}\n`) };
  if (name === 'false') return { exitCode: 1 };
  if (name === 'sleep') {
    await new Promise((resolve) => setTimeout(resolve, Math.min(Number(args[0] ?? 0), 3600) * 1000).unref());
    return {};
  }
  const exit = name === 'sh' && args[0] === '-c' ? /^exit (\d+)$/.exec(args[1] ?? '') : null;
  return exit === null ? {} : { exitCode: Number(exit[1]) };
};

function signalNumber(name: string): number {
  if (/^\d+$/.test(name)) return Number(name);
  return (constants.signals as Record<string, number>)[name] ?? 15;
}

function cap(buffer: Buffer, max: number): Buffer {
  return buffer.length > max ? buffer.subarray(0, max) : buffer;
}

/**
 * An in-memory RuntimeBackend: no processes, every call recorded, errors injectable
 * (`failNext`), container exits scripted by name or id (`scriptExit`) or triggered
 * (`exitContainer`). Stop sends no real signal: the container exits with 128+signal,
 * or 137 when the timeout is 0 or it was told to ignore the stop signal.
 */
export class FakeRuntimeBackend extends CallRecorder<FakeRuntimeMethod> implements RuntimeBackend {
  readonly #sandboxes = new Map<string, FakeSandbox>();
  readonly #containers = new Map<string, FakeContainer>();
  readonly #listeners = new Set<(exit: ContainerExit) => void>();
  readonly #scripts: { match: string | ((c: FakeContainer) => boolean); exit: ScriptedExit; left: number }[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #stats = new Map<string, Omit<ContainerUsage, 'timestamp'>>();
  readonly #ignoreStop = new Set<string>();
  readonly #attachments = new Map<string, Set<FakeAttachment>>();
  #info: RuntimeBackendInfo = structuredClone(DEFAULT_INFO);
  #nextPid = 1000;
  /** How ExecSync answers (default: `echo` prints its arguments, everything else exits 0). */
  execResponder: FakeExecResponder = defaultExec;
  /** Whether `reopenContainerLog` exists (set false to play a backend that cannot). */
  readonly reopenContainerLog?: (id: string, options?: OperationOptions) => Promise<void>;

  constructor(options: { supportsLogReopen?: boolean } = {}) {
    super();
    if (options.supportsLogReopen !== false) {
      this.reopenContainerLog = async (id, opts = {}) => {
        this.enter('reopenContainerLog', [id], opts.signal);
        this.#mustGet(id).logReopens += 1;
      };
    }
  }

  // ---- test controls ----

  /** Containers the fake holds (snapshots). */
  containers(): FakeContainer[] {
    return [...this.#containers.values()].map((c) => structuredClone(c));
  }

  /** One container (snapshot), or undefined. */
  container(id: string): FakeContainer | undefined {
    const c = this.#containers.get(id);
    return c === undefined ? undefined : structuredClone(c);
  }

  sandboxes(): FakeSandbox[] {
    return [...this.#sandboxes.values()].map((s) => ({ ...s }));
  }

  /**
   * Makes matching containers exit by themselves `afterMs` after they start. `match` is a
   * container id, a CRI container name, or a predicate. The first matching script wins; one
   * with `times` is dropped once used up (so `scriptExit('job', { exitCode: 1, times: 1 })`
   * then `scriptExit('job', { exitCode: 0 })` fails the first attempt only).
   */
  scriptExit(match: string | ((c: FakeContainer) => boolean), exit: ScriptedExit): void {
    this.#scripts.push({ match, exit: { ...exit }, left: exit.times ?? Number.POSITIVE_INFINITY });
  }

  /** Makes a sandbox stop working (its infra process died, the host rebooted ...). */
  breakSandbox(id: string): void {
    const s = this.#sandboxes.get(id);
    if (s === undefined) throw new ShimError('NotFound', `sandbox ${id} not found`);
    s.state = 'stopped';
  }

  /** Makes a running (or created) container exit now, as if its process ended. */
  exitContainer(id: string, exit: { exitCode: number; oomKilled?: boolean }): void {
    const c = this.#mustGet(id);
    if (c.status === 'exited') return;
    this.#exit(c, exit.exitCode, exit.oomKilled ?? false);
  }

  /** The container keeps running after its stop signal, so StopContainer has to SIGKILL it (exit 137). */
  ignoreStopSignal(idOrName: string): void {
    this.#ignoreStop.add(idOrName);
  }

  /** Writes output as the container would: every attached client with that stream gets it. */
  writeOutput(id: string, stream: 'stdout' | 'stderr', data: string | Buffer): void {
    this.#mustGet(id);
    for (const a of this.#attachments.get(id) ?? []) a[stream].write(data);
  }

  /** Usage `stats` reports for a container (default: small made-up numbers). */
  setStats(id: string, usage: Omit<ContainerUsage, 'timestamp'>): void {
    this.#stats.set(id, usage);
  }

  /** Changes what `info` reports (readiness, handlers, cgroup driver ...). */
  setInfo(info: Partial<RuntimeBackendInfo>): void {
    this.#info = { ...this.#info, ...structuredClone(info) };
  }

  // ---- RuntimeBackend ----

  /** As the default backend: the network may come up alongside unless net.* sysctls or an infra process need it first. */
  sandboxNeedsNetns(config: PodSandboxConfig): boolean {
    return sandboxNeedsNetnsAtStart(config);
  }

  async runSandbox(options: RunSandboxOptions): Promise<SandboxInfo> {
    this.enter('runSandbox', [{ id: options.id, netnsPath: options.netnsPath, runtimeHandler: options.runtimeHandler }], options.signal);
    if (this.#sandboxes.has(options.id)) throw new ShimError('AlreadyExists', `sandbox ${options.id} already exists`);
    this.#sandboxes.set(options.id, {
      id: options.id,
      state: 'ready',
      runtimeHandler: options.runtimeHandler,
      ...(options.netnsPath === undefined ? {} : { netnsPath: options.netnsPath }),
    });
    const pid = this.#nextPid++;
    return {
      pid,
      namespaces: { ...(options.netnsPath === undefined ? {} : { network: options.netnsPath }), ipc: `/proc/${pid}/ns/ipc`, uts: `/proc/${pid}/ns/uts` },
      mounts: [],
    };
  }

  async stopSandbox(id: string, options: OperationOptions = {}): Promise<void> {
    this.enter('stopSandbox', [id], options.signal);
    const s = this.#sandboxes.get(id);
    if (s !== undefined) s.state = 'stopped';
  }

  async removeSandbox(id: string, options: OperationOptions = {}): Promise<void> {
    this.enter('removeSandbox', [id], options.signal);
    this.#sandboxes.delete(id);
  }

  async sandboxState(id: string, options: OperationOptions = {}): Promise<'ready' | 'notready'> {
    this.enter('sandboxState', [id], options.signal);
    const s = this.#sandboxes.get(id);
    if (s === undefined) throw new ShimError('NotFound', `sandbox ${id} not found`);
    return s.state === 'ready' ? 'ready' : 'notready';
  }

  async createContainer(options: CreateContainerOptions): Promise<void> {
    this.enter('createContainer', [{ id: options.id, sandboxId: options.sandboxId, rootfs: options.rootfs, logPath: options.logPath }], options.signal);
    if (this.#containers.has(options.id)) throw new ShimError('AlreadyExists', `container ${options.id} already exists`);
    if (!this.#sandboxes.has(options.sandboxId)) throw new ShimError('NotFound', `sandbox ${options.sandboxId} not found`);
    this.#containers.set(options.id, {
      id: options.id,
      sandboxId: options.sandboxId,
      name: options.spec.annotations?.['io.kubernetes.cri.container-name'] ?? '',
      spec: structuredClone(options.spec),
      rootfs: options.rootfs,
      logPath: options.logPath,
      status: 'created',
      oomKilled: false,
      resources: structuredClone(options.spec.linux?.resources ?? {}),
      logReopens: 0,
      stdin: options.stdin === true,
      stdinOnce: options.stdinOnce === true,
      stdinReceived: '',
      stdinClosed: false,
      terminalSizes: [],
    });
  }

  async startContainer(id: string, options: OperationOptions = {}): Promise<{ startedAt: Date; pid?: number }> {
    this.enter('startContainer', [id], options.signal);
    const c = this.#mustGet(id);
    if (c.status !== 'created') throw new ShimError('FailedPrecondition', `container ${id} is ${c.status}, not created`);
    c.status = 'running';
    c.startedAt = new Date();
    c.pid = this.#nextPid++;
    const script = this.#scripts.find((s) => (typeof s.match === 'string' ? s.match === c.id || s.match === c.name : s.match(c)));
    if (script !== undefined) {
      script.left -= 1;
      if (script.left <= 0) this.#scripts.splice(this.#scripts.indexOf(script), 1);
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        if (c.status === 'running') this.#exit(c, script.exit.exitCode, script.exit.oomKilled ?? false);
      }, script.exit.afterMs ?? 0);
      this.#timers.add(timer);
    }
    return { startedAt: c.startedAt, pid: c.pid };
  }

  async stopContainer(id: string, options: StopContainerOptions): Promise<void> {
    this.enter('stopContainer', [id, { timeoutSeconds: options.timeoutSeconds, stopSignal: options.stopSignal }], options.signal);
    const c = this.#mustGet(id);
    if (c.status === 'exited') return;
    const ignores = this.#ignoreStop.has(c.id) || this.#ignoreStop.has(c.name);
    const code = options.timeoutSeconds <= 0 || ignores ? 128 + 9 : 128 + signalNumber(options.stopSignal ?? 'SIGTERM');
    this.#exit(c, code, false);
  }

  async removeContainer(id: string, options: OperationOptions = {}): Promise<void> {
    this.enter('removeContainer', [id], options.signal);
    const c = this.#containers.get(id);
    if (c !== undefined && c.status !== 'exited') this.#exit(c, 137, false);
    this.#containers.delete(id);
  }

  async containerState(id: string, options: OperationOptions = {}): Promise<ContainerRuntimeState> {
    this.enter('containerState', [id], options.signal);
    const c = this.#mustGet(id);
    return {
      status: c.status,
      ...(c.pid === undefined ? {} : { pid: c.pid }),
      ...(c.startedAt === undefined ? {} : { startedAt: c.startedAt }),
      ...(c.exitCode === undefined ? {} : { exitCode: c.exitCode }),
      ...(c.exitedAt === undefined ? {} : { exitedAt: c.exitedAt }),
      oomKilled: c.oomKilled,
    };
  }

  async execSync(id: string, options: ExecSyncOptions): Promise<ExecSyncResult> {
    this.enter('execSync', [id, { cmd: options.cmd, timeoutMs: options.timeoutMs }], options.signal);
    const c = this.#mustGet(id);
    if (c.status !== 'running') throw new ShimError('FailedPrecondition', `container ${id} is not running`);
    const max = options.maxOutputBytes ?? EXEC_SYNC_MAX_OUTPUT_BYTES;
    const answer = Promise.resolve(this.execResponder(structuredClone(c), [...options.cmd]));
    const timeoutMs = options.timeoutMs ?? 0;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      if (timeoutMs > 0) timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_resolve, reject) => {
      onAbort = () => reject(options.signal?.reason as Error);
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const result = await Promise.race([answer, timedOut, aborted]);
      if (result === 'timeout') return { exitCode: 137, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), timedOut: true };
      return { exitCode: result.exitCode ?? 0, stdout: cap(result.stdout ?? Buffer.alloc(0), max), stderr: cap(result.stderr ?? Buffer.alloc(0), max), timedOut: false };
    } finally {
      clearTimeout(timer);
      if (onAbort !== undefined) options.signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Streaming exec: reads all of stdin (when asked for), then answers with `execResponder`
   * (given the stdin bytes) on the stdout/stderr pipes; `kill()` ends it with 137. A tty exec
   * answers stdout and stderr both on stdout and records the sizes it is given.
   */
  async exec(id: string, options: ExecOptions): Promise<ExecProcess> {
    this.enter('exec', [id, { cmd: options.cmd, tty: options.tty, stdin: options.stdin, stdout: options.stdout, stderr: options.stderr }], options.signal);
    const c = this.#mustGet(id);
    if (c.status !== 'running') throw new ShimError('FailedPrecondition', `container ${id} is not running`);
    const stdin = options.stdin ? new PassThrough() : null;
    const stdout = options.stdout ? new PassThrough() : null;
    const stderr = options.stderr && !options.tty ? new PassThrough() : null;
    let killed!: (code: number) => void;
    const kill = new Promise<number>((resolve) => (killed = resolve));
    const input = stdin === null ? Promise.resolve(undefined) : new Promise<Buffer>((resolve) => {
      const parts: Buffer[] = [];
      stdin.on('data', (b: Buffer) => parts.push(b));
      stdin.once('end', () => resolve(Buffer.concat(parts)));
    });
    const run = async (): Promise<number> => {
      const result = await this.execResponder(structuredClone(c), [...options.cmd], await input);
      const [out, err] = [result.stdout ?? Buffer.alloc(0), result.stderr ?? Buffer.alloc(0)];
      stdout?.end(options.tty ? Buffer.concat([out, err]) : out);
      stderr?.end(err);
      return result.exitCode ?? 0;
    };
    const exited = Promise.race([run(), kill]).finally(() => {
      stdout?.end();
      stderr?.end();
    });
    const resize = (size: TerminalSize): void => void c.terminalSizes.push({ ...size });
    return { stdin, stdout, stderr, exited, kill: () => killed(137), ...(options.tty ? { resize } : {}) };
  }

  /**
   * Attach: the client gets what {@link writeOutput} writes from now on; what it writes to stdin
   * collects in `stdinReceived` (ending it sets `stdinClosed` for a stdin_once container). The
   * session ends when the container exits or on `detach()`.
   */
  async attach(id: string, options: AttachOptions): Promise<AttachSession> {
    this.enter('attach', [id, { stdin: options.stdin, stdout: options.stdout, stderr: options.stderr }], options.signal);
    const c = this.#mustGet(id);
    if (c.status !== 'running') throw new ShimError('FailedPrecondition', `container ${id} is not running`);
    const attachments = this.#attachments.get(id) ?? new Set<FakeAttachment>();
    this.#attachments.set(id, attachments);
    let end!: () => void;
    const ended = new Promise<void>((resolve) => (end = resolve));
    const attachment: FakeAttachment = { stdout: new PassThrough(), stderr: new PassThrough(), end: () => end() };
    attachments.add(attachment);
    void ended.then(() => {
      attachments.delete(attachment);
      attachment.stdout.end();
      attachment.stderr.end();
    });
    let stdin: PassThrough | null = null;
    if (options.stdin && c.stdin) {
      stdin = new PassThrough();
      stdin.setEncoding('utf8');
      stdin.on('data', (text: string) => void (c.stdinReceived += text));
      stdin.once('end', () => void (c.stdinClosed ||= c.stdinOnce));
    }
    if (!options.stdout) attachment.stdout.resume();
    if (!options.stderr) attachment.stderr.resume();
    return {
      stdin,
      stdout: options.stdout ? attachment.stdout : null,
      stderr: options.stderr ? attachment.stderr : null,
      ended,
      detach: () => attachment.end(),
      resize: (size) => void c.terminalSizes.push({ ...size }),
    };
  }

  async updateResources(id: string, resources: Resources, options: OperationOptions = {}): Promise<void> {
    this.enter('updateResources', [id, resources], options.signal);
    const c = this.#mustGet(id);
    c.resources = { ...c.resources, ...structuredClone(resources) };
  }

  async stats(id: string, options: OperationOptions = {}): Promise<ContainerUsage> {
    this.enter('stats', [id], options.signal);
    this.#mustGet(id);
    return { timestamp: new Date(), cpuUsageCoreNanoSeconds: 1_000_000n, memoryWorkingSetBytes: 1_048_576n, memoryUsageBytes: 2_097_152n, ...this.#stats.get(id) };
  }

  onExit(listener: (exit: ContainerExit) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async info(options: OperationOptions = {}): Promise<RuntimeBackendInfo> {
    this.enter('info', [], options.signal);
    return structuredClone(this.#info);
  }

  /** Cancels scripted exits not yet due. */
  async close(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }

  #mustGet(id: string): FakeContainer {
    const c = this.#containers.get(id);
    if (c === undefined) throw new ShimError('NotFound', `container ${id} not found`);
    return c;
  }

  #exit(c: FakeContainer, exitCode: number, oomKilled: boolean): void {
    c.status = 'exited';
    c.exitCode = exitCode;
    c.exitedAt = new Date();
    c.oomKilled = oomKilled;
    const exit: ContainerExit = { id: c.id, exitCode, exitedAt: c.exitedAt, oomKilled };
    for (const a of this.#attachments.get(c.id) ?? []) a.end();
    for (const listener of this.#listeners) listener(exit);
  }
}

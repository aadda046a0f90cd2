import type { ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import { mkdirSync } from 'node:fs';
import { mkdir, open, readdir, rm } from 'node:fs/promises';
import { constants } from 'node:os';
import { join } from 'node:path';
import type { PodSandboxConfig } from '@shimkit/cri-types';
import type { Resources } from '@shimkit/oci-spec';
import {
  ExitListeners,
  ShimError,
  type AttachOptions,
  type AttachSession,
  type ContainerExit,
  type ContainerRuntimeState,
  type ContainerUsage,
  type CreateContainerOptions,
  type ExecSyncOptions,
  type ExecSyncResult,
  type Logger,
  type OperationOptions,
  type RunSandboxOptions,
  type RuntimeBackend,
  type RuntimeBackendInfo,
  type SandboxInfo,
  type StopContainerOptions,
} from 'shimkit';
import { ContainerCgroup } from './cgroup/container-cgroup.js';
import { followCriLog } from './cri-log-follower.js';
import { readJson, writeJson } from './json-file.js';
import { isSameLiveProcess, processIdentity } from '@shimkit/host-helper';
import { readyLine, RunnerPool } from './runner-pool.js';
import { readExitFile, writeExitFile } from './runner/exit-file.js';
import type { ExitRecord, RunnerConfig } from './runner/runner-config.js';
import { waitUntil } from './wait-until.js';
import { specEnv, wasmEntrypoint, wasmPreopens } from './wasm-entrypoint.js';

/** The runtime handler name pods ask for (a RuntimeClass's `handler`). */
export const WASM_HANDLER = 'wasm';

/** Constructor options of {@link WasmBackend}. */
export interface WasmBackendOptions {
  /** Volatile state: sandboxes, containers (runner config, meta, exit file). */
  state: string;
  /** The runtime handler name (default `wasm`). */
  handler?: string;
  /** How long a runner may take to compile and instantiate its module (default 30 s). */
  startTimeoutMs?: number;
  /** How often runners adopted after a restart are checked for their end (default 100 ms). */
  pollIntervalMs?: number;
  /**
   * Runners kept started and waiting for a container (default 2): StartContainer then does not
   * wait for Node to boot, only for the module to compile. 0 starts each runner at StartContainer.
   * Two, because a taken runner's replacement needs a whole Node boot (100-250 ms on a busy
   * machine): with one, a start that follows another within that time waits for the boot.
   */
  warmRunners?: number;
  logger?: Logger;
}

interface SandboxMeta {
  id: string;
  state: 'ready' | 'notready';
}

interface ContainerMeta {
  id: string;
  sandboxId: string;
  cgroupsPath: string;
  createdAt: string;
  pid?: number;
  /** The runner's start time in /proc (tells it from a later process with its pid). */
  pidStartTime?: string;
  startedAt?: string;
}

interface LiveContainer {
  meta: ContainerMeta;
  dir: string;
  cgroup: ContainerCgroup;
  exit?: ContainerExit;
  /** Resolves once {@link exit} is set. */
  exited: Promise<void>;
  markExited: () => void;
  starting?: Promise<{ startedAt: Date; pid?: number }>;
  /** The runner, when this instance started it (else it is polled). */
  child?: ChildProcess;
  /** The last signal this instance sent, for a runner that ends without writing its exit file. */
  lastSignal?: NodeJS.Signals;
}

const KILL_WAIT_MS = 10_000;
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
/**
 * A {@link RuntimeBackend} that runs WebAssembly (WASI preview 1) modules with Node's node:wasi.
 * Each container is a runner process of its own, detached in a session of its own (started ahead
 * of need, see {@link RunnerPool}), that joins a cgroup made at CreateContainer under the pod's
 * cgroup parent with the spec's memory, CPU and pids limits before the module starts; it writes
 * the CRI log and its exit file itself, so it outlives the shim and a new instance on the same
 * state directory finds it again. A pod is only a record (WASI preview 1
 * modules have no network; the shim still makes the pod's network namespace). Attach follows the
 * output in the log file; what WASI cannot do (exec, stdin, port forward) answers Unimplemented
 * naming the handler.
 */
export class WasmBackend implements RuntimeBackend, AsyncDisposable {
  readonly handler: string;
  readonly #options: WasmBackendOptions;
  readonly #sandboxDir: string;
  readonly #containerDir: string;
  readonly #sandboxes = new Map<string, SandboxMeta>();
  readonly #containers = new Map<string, LiveContainer>();
  readonly #creating = new Set<string>();
  readonly #exitListeners: ExitListeners;
  readonly #ready: Promise<void>;
  readonly #runners: RunnerPool;
  #poll: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: WasmBackendOptions) {
    this.#options = options;
    this.handler = options.handler ?? WASM_HANDLER;
    this.#exitListeners = new ExitListeners({ name: 'wasm backend', logger: options.logger });
    this.#sandboxDir = join(options.state, 'sandboxes');
    this.#containerDir = join(options.state, 'containers');
    this.#runners = new RunnerPool({ size: options.warmRunners ?? 2, logger: options.logger });
    this.#ready = this.#load();
    this.#ready.catch(() => undefined);
  }

  // ---- sandboxes --------------------------------------------------------------------------

  /** Nothing of the pod runs before its containers: the network is set up meanwhile. */
  sandboxNeedsNetns(_config: PodSandboxConfig): boolean {
    return false;
  }

  async runSandbox(options: RunSandboxOptions): Promise<SandboxInfo> {
    await this.#open();
    if (!SAFE_ID.test(options.id)) throw new ShimError('InvalidArgument', `pod sandbox id ${JSON.stringify(options.id)} is not valid`);
    if (options.runtimeHandler !== this.handler) throw new ShimError('InvalidArgument', `runtime handler "${options.runtimeHandler}" is not configured (this backend serves "${this.handler}")`);
    if (this.#sandboxes.has(options.id)) throw new ShimError('AlreadyExists', `pod sandbox "${options.id}" already exists`);
    const meta: SandboxMeta = { id: options.id, state: 'ready' };
    await writeJson(join(this.#sandboxDir, `${options.id}.json`), meta);
    this.#sandboxes.set(options.id, meta);
    return { namespaces: options.netnsPath === undefined ? {} : { network: options.netnsPath }, mounts: [] };
  }

  async stopSandbox(id: string, options: OperationOptions = {}): Promise<void> {
    await this.#open();
    const meta = this.#sandboxes.get(id);
    if (meta === undefined || meta.state === 'notready') return;
    for (const c of this.#containers.values()) if (c.meta.sandboxId === id) await this.stopContainer(c.meta.id, { timeoutSeconds: 0, ...options });
    meta.state = 'notready';
    await writeJson(join(this.#sandboxDir, `${id}.json`), meta);
  }

  async removeSandbox(id: string, options: OperationOptions = {}): Promise<void> {
    await this.#open();
    if (!this.#sandboxes.has(id)) return;
    for (const c of [...this.#containers.values()]) if (c.meta.sandboxId === id) await this.removeContainer(c.meta.id, options);
    await rm(join(this.#sandboxDir, `${id}.json`), { force: true });
    this.#sandboxes.delete(id);
  }

  async sandboxState(id: string, _options: OperationOptions = {}): Promise<'ready' | 'notready'> {
    await this.#open();
    const meta = this.#sandboxes.get(id);
    if (meta === undefined) throw new ShimError('NotFound', `pod sandbox "${id}" not found in the wasm backend`);
    return meta.state;
  }

  // ---- containers -------------------------------------------------------------------------

  async createContainer(options: CreateContainerOptions): Promise<void> {
    await this.#open();
    const { id, sandboxId, spec } = options;
    if (!SAFE_ID.test(id)) throw new ShimError('InvalidArgument', `container id ${JSON.stringify(id)} is not valid`);
    const sandbox = this.#sandboxes.get(sandboxId);
    if (sandbox === undefined) throw new ShimError('NotFound', `pod sandbox "${sandboxId}" not found in the wasm backend`);
    if (sandbox.state !== 'ready') throw new ShimError('FailedPrecondition', `pod sandbox "${sandboxId}" is not ready`);
    if (this.#containers.has(id) || this.#creating.has(id)) throw new ShimError('AlreadyExists', `container "${id}" already exists`);
    if (options.stdin) throw new ShimError('InvalidArgument', `runtime handler "${this.handler}": container "${id}" asks for stdin, which a WASI module cannot read from an attached client`);
    const cgroupsPath = spec.linux?.cgroupsPath;
    if (cgroupsPath === undefined || cgroupsPath === '') throw new ShimError('InvalidArgument', `container "${id}": the spec has no linux.cgroupsPath`);
    this.#creating.add(id);
    const dir = join(this.#containerDir, id);
    let cgroup: ContainerCgroup | undefined;
    try {
      const module = await wasmEntrypoint(spec, options.rootfs);
      const preopens = await wasmPreopens(spec, options.rootfs);
      cgroup = await ContainerCgroup.at(cgroupsPath);
      options.signal?.throwIfAborted();
      mkdirSync(dir, { mode: 0o700 });
      await cgroup.create(spec.linux?.resources);
      if (options.logPath !== '') await mkdir(join(options.logPath, '..'), { recursive: true });
      const runner: RunnerConfig = {
        id,
        module,
        args: spec.process?.args ?? [],
        env: specEnv(spec),
        preopens,
        logPath: options.logPath,
        exitFile: join(dir, 'exit.json'),
        cgroupDirs: [...cgroup.dirs],
      };
      await writeJson(join(dir, 'runner.json'), runner);
      const meta: ContainerMeta = { id, sandboxId, cgroupsPath, createdAt: new Date().toISOString() };
      await writeJson(join(dir, 'meta.json'), meta);
      this.#containers.set(id, live(meta, dir, cgroup));
    } catch (e) {
      await cgroup?.remove().catch(() => undefined);
      if (this.#containers.get(id) === undefined) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      throw e;
    } finally {
      this.#creating.delete(id);
    }
  }

  async startContainer(id: string, options: OperationOptions = {}): Promise<{ startedAt: Date; pid?: number }> {
    const c = await this.#container(id);
    if (c.exit) throw new ShimError('FailedPrecondition', `container ${id} has exited; it cannot be started again`);
    if (c.meta.pid !== undefined && c.starting === undefined) throw new ShimError('FailedPrecondition', `container ${id} is already running`);
    c.starting ??= this.#launch(c, options.signal).finally(() => (c.starting = undefined));
    return c.starting;
  }

  async stopContainer(id: string, options: StopContainerOptions): Promise<void> {
    const c = await this.#container(id);
    await c.starting?.catch(() => undefined);
    if (c.exit) return;
    if (c.meta.pid === undefined) {
      await this.#ended(c, { exitCode: 137, exitedAt: new Date().toISOString(), oomKilled: false, message: 'stopped before it started' });
      return;
    }
    const callerSignal = options.signal;
    if (options.timeoutSeconds > 0) {
      this.#kill(c, (options.stopSignal ?? 'SIGTERM') as NodeJS.Signals);
      if (await waitUntil(c.exited, options.timeoutSeconds * 1000, callerSignal)) return;
      callerSignal?.throwIfAborted();
    }
    this.#kill(c, 'SIGKILL');
    if (await waitUntil(c.exited, KILL_WAIT_MS, callerSignal)) return;
    callerSignal?.throwIfAborted();
    throw new ShimError('Internal', `container ${id}: its runner did not end ${KILL_WAIT_MS} ms after SIGKILL`);
  }

  async removeContainer(id: string, options: OperationOptions = {}): Promise<void> {
    await this.#open();
    const c = this.#containers.get(id);
    if (c === undefined) return;
    if (!c.exit && c.meta.pid !== undefined) await this.stopContainer(id, { timeoutSeconds: 0, ...options });
    await c.cgroup.remove();
    await rm(c.dir, { recursive: true, force: true });
    this.#containers.delete(id);
  }

  async containerState(id: string, _options: OperationOptions = {}): Promise<ContainerRuntimeState> {
    const c = await this.#container(id);
    const base = { ...(c.meta.pid === undefined ? {} : { pid: c.meta.pid }), ...(c.meta.startedAt === undefined ? {} : { startedAt: new Date(c.meta.startedAt) }) };
    if (c.exit) return { ...base, status: 'exited', exitCode: c.exit.exitCode, exitedAt: c.exit.exitedAt, oomKilled: c.exit.oomKilled };
    return { ...base, status: c.meta.pid === undefined ? 'created' : 'running' };
  }

  async execSync(id: string, _options?: ExecSyncOptions): Promise<ExecSyncResult> {
    await this.#container(id);
    throw new ShimError('Unimplemented', `runtime handler "${this.handler}" cannot run a command in a container: a WASI module has no processes to exec (ExecSync)`);
  }

  async updateResources(id: string, resources: Resources, _options: OperationOptions = {}): Promise<void> {
    const c = await this.#container(id);
    if (c.exit) throw new ShimError('FailedPrecondition', `container ${id} has exited`);
    await c.cgroup.update(resources);
  }

  async stats(id: string, options: OperationOptions = {}): Promise<ContainerUsage> {
    const c = await this.#container(id);
    options.signal?.throwIfAborted();
    const timestamp = new Date();
    if (c.meta.pid === undefined || c.exit) return { timestamp };
    const usage = await c.cgroup.usage();
    return {
      timestamp,
      ...(usage.cpuNanoSeconds === undefined ? {} : { cpuUsageCoreNanoSeconds: usage.cpuNanoSeconds }),
      ...(usage.memoryUsageBytes === undefined ? {} : { memoryUsageBytes: usage.memoryUsageBytes }),
      ...(usage.memoryWorkingSetBytes === undefined ? {} : { memoryWorkingSetBytes: usage.memoryWorkingSetBytes }),
      ...(usage.memoryRssBytes === undefined ? {} : { memoryRssBytes: usage.memoryRssBytes }),
      ...(usage.pageFaults === undefined ? {} : { pageFaults: usage.pageFaults }),
      ...(usage.majorPageFaults === undefined ? {} : { majorPageFaults: usage.majorPageFaults }),
    };
  }

  /** Attaches to the container's output, read from its CRI log file as the runner writes it; no stdin. */
  async attach(id: string, options: AttachOptions): Promise<AttachSession> {
    const c = await this.#container(id);
    if (options.stdin) throw new ShimError('Unimplemented', `runtime handler "${this.handler}" cannot attach with stdin: a WASI module's stdin is not connected`);
    if (c.exit || c.meta.pid === undefined) throw new ShimError('FailedPrecondition', `container ${id} is not running`);
    const logPath = (await readJson<RunnerConfig>(join(c.dir, 'runner.json')))?.logPath ?? '';
    if (logPath === '') throw new ShimError('FailedPrecondition', `container ${id} has no log file, so no output to attach to`);
    options.signal?.throwIfAborted();
    return followCriLog(logPath, { stdout: options.stdout, stderr: options.stderr, exited: c.exited });
  }

  /**
   * Makes a new log file at the container's log path (kubelet renamed the old one); the runner
   * notices the new file on its next write and writes there.
   */
  async reopenContainerLog(id: string, _options: OperationOptions = {}): Promise<void> {
    const c = await this.#container(id);
    if (c.exit) throw new ShimError('FailedPrecondition', `container ${id} is not running`);
    const logPath = (await readJson<RunnerConfig>(join(c.dir, 'runner.json')))?.logPath ?? '';
    if (logPath === '') return;
    await (await open(logPath, 'a', 0o640)).close();
  }

  // ---- exits, info, lifecycle -------------------------------------------------------------

  onExit(listener: (exit: ContainerExit) => void): () => void {
    // exits found at start (after a restart) still reach a listener that comes later
    return this.#exitListeners.add(listener, { seen: [...this.#containers.values()].flatMap((c) => (c.exit ? [c.exit] : [])) });
  }

  async info(options: OperationOptions = {}): Promise<RuntimeBackendInfo> {
    options.signal?.throwIfAborted();
    return {
      name: 'wasm',
      version: `node-wasi-preview1 (node ${process.versions.node})`,
      cgroupDriver: 'cgroupfs',
      handlers: [{ name: this.handler, recursiveReadOnlyMounts: false, userNamespaces: false, exec: false, portForward: false }],
      ready: true,
    };
  }

  /** Stops watching; runners keep running and a new instance finds them. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#ready.catch(() => undefined);
    clearInterval(this.#poll);
    this.#runners.close();
    this.#exitListeners.clear();
    for (const c of this.#containers.values()) c.child?.removeAllListeners('exit');
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- internals --------------------------------------------------------------------------

  async #open(): Promise<void> {
    if (this.#closed) throw new ShimError('FailedPrecondition', 'the wasm backend is closed');
    await this.#ready;
  }

  async #container(id: string): Promise<LiveContainer> {
    await this.#open();
    const c = this.#containers.get(id);
    if (c === undefined) throw new ShimError('NotFound', `container "${id}" not found in the wasm backend`);
    return c;
  }

  /** Hands the container to a runner and waits for its `ready` (cgroups joined, module compiled and instantiated). */
  async #launch(c: LiveContainer, signal: AbortSignal | undefined): Promise<{ startedAt: Date; pid?: number }> {
    const { id } = c.meta;
    signal?.throwIfAborted();
    const child = this.#runners.take();
    c.child = child;
    child.on('exit', (code, sig) => void this.#runnerEnded(c, sig ?? undefined, code ?? undefined));
    if (child.pid !== undefined) {
      // recorded before the runner gets the container: a shim that dies during the start finds it again
      c.meta = { ...c.meta, pid: child.pid, pidStartTime: processIdentity(child.pid)?.startTime ?? '' };
      await writeJson(join(c.dir, 'meta.json'), c.meta);
    }
    const channel = child.stdio[3] as Writable & { ref(): void };
    channel.ref();
    channel.write(`${join(c.dir, 'runner.json')}\n`);
    const answer = await readyLine(child, AbortSignal.any([AbortSignal.timeout(this.#options.startTimeoutMs ?? 30_000), ...(signal ? [signal] : [])]));
    if (answer !== 'ready') {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await waitUntil(c.exited, KILL_WAIT_MS);
      const why = answer.startsWith('error ') ? answer.slice(6) : answer;
      throw new ShimError('FailedPrecondition', `runtime handler "${this.handler}": starting container ${id}: ${why}`);
    }
    const startedAt = new Date();
    c.meta = { ...c.meta, startedAt: startedAt.toISOString() };
    await writeJson(join(c.dir, 'meta.json'), c.meta);
    return { startedAt, pid: child.pid! };
  }

  #kill(c: LiveContainer, signal: NodeJS.Signals): void {
    const { pid, pidStartTime } = c.meta;
    if (pid === undefined || c.exit) return;
    // a pid the runner no longer has may belong to someone else now
    if (c.child !== undefined ? c.child.exitCode !== null || c.child.signalCode !== null : !isSameLiveProcess(pid, pidStartTime ?? '')) return;
    c.lastSignal = signal;
    try {
      process.kill(pid, signal);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw new ShimError('Internal', `signalling container ${c.meta.id}: ${String(e)}`, { cause: e });
    }
  }

  /** The runner is gone: its exit file says how the module ended; without one, the signal and the cgroup say it. */
  async #runnerEnded(c: LiveContainer, signal: NodeJS.Signals | undefined, code: number | undefined): Promise<void> {
    if (c.exit) return;
    const written = await readExitFileQuietly(join(c.dir, 'exit.json'));
    if (written) return this.#ended(c, written, false);
    const oomKilled = await c.cgroup.oomKilled();
    const by = signal ?? c.lastSignal;
    const exitCode = oomKilled ? 137 : by !== undefined ? 128 + (constants.signals[by] ?? 9) : (code ?? 137);
    const message = oomKilled ? 'killed by the kernel: the container reached its memory limit' : by !== undefined ? `killed by ${by}` : 'the runner ended without saying how';
    await this.#ended(c, { exitCode, exitedAt: new Date().toISOString(), oomKilled, message });
  }

  async #ended(c: LiveContainer, record: ExitRecord, write = true): Promise<void> {
    if (c.exit) return;
    if (write) writeExitFile(join(c.dir, 'exit.json'), record);
    c.exit = { id: c.meta.id, exitCode: record.exitCode, exitedAt: new Date(record.exitedAt), oomKilled: record.oomKilled };
    c.markExited();
    this.#exitListeners.tell(c.exit);
  }

  /** Finds what an earlier instance left: sandboxes, containers, runners still running (watched by polling). */
  async #load(): Promise<void> {
    await mkdir(this.#sandboxDir, { recursive: true });
    await mkdir(this.#containerDir, { recursive: true });
    for (const name of await readdir(this.#sandboxDir)) {
      if (!name.endsWith('.json')) continue;
      const meta = await readJson<SandboxMeta>(join(this.#sandboxDir, name));
      if (meta) this.#sandboxes.set(meta.id, meta);
    }
    for (const name of await readdir(this.#containerDir)) {
      const dir = join(this.#containerDir, name);
      const meta = await readJson<ContainerMeta>(join(dir, 'meta.json'));
      if (meta === undefined || meta.id !== name) {
        this.#options.logger?.warn('wasm backend: removing a half-created container', { containerId: name });
        await rm(dir, { recursive: true, force: true });
        continue;
      }
      const c = live(meta, dir, await ContainerCgroup.at(meta.cgroupsPath));
      this.#containers.set(name, c);
      const written = await readExitFileQuietly(join(dir, 'exit.json'));
      if (written) await this.#ended(c, written, false);
    }
    this.#poll = setInterval(() => this.#checkAdopted(), this.#options.pollIntervalMs ?? 100);
    this.#poll.unref();
    this.#checkAdopted();
    this.#runners.fill();
  }

  /** Runners this instance did not start: ended once /proc no longer has them (they are not our children). */
  #checkAdopted(): void {
    for (const c of this.#containers.values()) {
      if (c.exit || c.child !== undefined || c.meta.pid === undefined) continue;
      if (!isSameLiveProcess(c.meta.pid, c.meta.pidStartTime ?? '')) void this.#runnerEnded(c, undefined, undefined);
    }
  }
}

function live(meta: ContainerMeta, dir: string, cgroup: ContainerCgroup): LiveContainer {
  let markExited!: () => void;
  const exited = new Promise<void>((resolve) => (markExited = resolve));
  return { meta, dir, cgroup, exited, markExited };
}

async function readExitFileQuietly(path: string): Promise<ExitRecord | undefined> {
  try {
    return readExitFile(path);
  } catch {
    return undefined;
  }
}

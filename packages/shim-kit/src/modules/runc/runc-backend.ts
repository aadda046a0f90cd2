import { mkdirSync } from 'node:fs';
import { access, mkdir, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { leaseHelper, type HelperLease, type HostHelper } from '@shimkit/host-helper';
import { Mounter } from '@shimkit/image-store';
import { Conmon, Runc, isRuncError, oomScoreLimits, readCgroupStats, type ExitWatcher, type PreparedConmon } from '@shimkit/runc-driver';
import type { PodSandboxConfig } from '@shimkit/cri-types';
import type { Resources } from '@shimkit/oci-spec';
import { sandboxNeedsNetnsAtStart } from '../../lifecycle/sandbox-netns.js';
import { ShimError } from '../../errors.js';
import type { Logger } from '../../interfaces/logger.js';
import { ExitListeners } from '../../lifecycle/exit-listeners.js';
import type { OperationOptions } from '../../interfaces/operation-options.js';
import {
  EXEC_SYNC_MAX_OUTPUT_BYTES,
  type AttachOptions,
  type AttachSession,
  type ContainerExit,
  type ContainerRuntimeState,
  type ContainerUsage,
  type CreateContainerOptions,
  type ExecOptions,
  type ExecProcess,
  type ExecSyncOptions,
  type ExecSyncResult,
  type RunSandboxOptions,
  type RuntimeBackend,
  type RuntimeBackendInfo,
  type SandboxInfo,
  type StopContainerOptions,
} from '../../interfaces/runtime-backend.js';
import {
  execTemplate, readExecTemplate, readMeta, removeBundle, updateBundleResources, writeBundle, writeFirstMeta, writeMeta, type ConmonLaunch, type ContainerMeta, type ExecTemplate,
} from './bundle.js';
import { usageFromStats } from './cgroup-stats.js';
import { attachConmon } from './conmon-attach.js';
import { CONMON_REOPEN_LOG, writeConmonControl } from './conmon-control.js';
import type { InfraImageSource } from './infra-container.js';
import { probeRuntimes } from './runtime-info.js';
import { toShimError } from './runc-errors.js';
import { idmappedRootfs, idmappedVolumes } from './idmapped-rootfs.js';
import { startRuncExec } from './runc-exec-process.js';
import { SandboxManager } from './sandbox-manager.js';
import { StateLayout, isSafeId } from './state-layout.js';
import { processAlive, waitFor } from './wait.js';

/** Another runtime handler (RuntimeClass) besides the default one. */
export interface RuntimeHandlerOptions {
  /** Runtime binary (a name on PATH or a path), e.g. `crun`. */
  binary: string;
  /** Its `--root` (default `<state>/runc-<name>`). */
  root?: string;
}

/** Constructor options of {@link RuncConmonBackend}. */
export interface RuncConmonBackendOptions {
  /** The backend's volatile state directory (bundles, exit files, runtime root, pod pins). */
  state: string;
  /** Runtime binary of the default handler (default `runc`; `crun` works unchanged). */
  runtime?: string;
  /** The default runtime's `--root` (default `<state>/runc`). */
  runtimeRoot?: string;
  /** conmon binary (default `conmon` on PATH). */
  conmon?: string;
  /** Use the systemd cgroup driver (default: cgroupfs). */
  systemdCgroup?: boolean;
  /** More runtime handlers by name (e.g. `{ crun: { binary: 'crun' } }`). */
  handlers?: Record<string, RuntimeHandlerOptions>;
  /** Size of each pod's /dev/shm tmpfs (default 64 MiB). */
  shmSizeBytes?: number;
  /**
   * Start each container's conmon at CreateContainer, parked until StartContainer (default
   * false). StartContainer then skips conmon's start-up (a few milliseconds); CreateContainer
   * pays it where no spare core runs it meanwhile (on a 2-core machine, about as much).
   */
  prestartConmon?: boolean;
  /**
   * The pause image and the ImageBackend to get it from, for pods that share one PID namespace
   * (namespace_options.pid = POD) and so need an infra process; without it such pods are refused.
   */
  infra?: InfraImageSource;
  /** Never ask for an oom_score_adj below this process's own (default: unless it has CAP_SYS_RESOURCE). */
  restrictOomScoreAdj?: boolean;
  /** The host helper for runtime calls, mounts, pinned namespaces, terminals and attach (shared, not closed here). Default: one of its own. */
  helper?: HostHelper;
  logger?: Logger;
}

interface RuntimeSet {
  name: string;
  runc: Runc;
  conmon: Conmon;
  /** The newest runtime-spec version the runtime supports (from `--version`), probed once. */
  maxOciVersion(): Promise<string | undefined>;
}

interface LiveContainer {
  meta: ContainerMeta;
  dir: string;
  exec?: ExecTemplate;
  /** conmon is creating it in the runtime (StartContainer). */
  launching?: Promise<void> | undefined;
  /** conmon started at CreateContainer, waiting for StartContainer (see {@link Conmon.prepare}). */
  parked?: PreparedConmon | undefined;
  /** Created by this instance and never launched: no conmon ever ran for it, so no exit file can exist. */
  unlaunched?: boolean;
  /** The newest write of `meta` to disk (never rejects). */
  saving?: Promise<void> | undefined;
}

// After SIGKILL (and after runc delete --force) a container is gone within milliseconds;
// this bound only stops a broken host from hanging a call forever.
const KILL_WAIT_MS = 10_000;

/**
 * The default {@link RuntimeBackend}: containers run under conmon with runc (or crun) from a
 * bundle in the shim's state dir, so they outlive the shim; pods pin their IPC and UTS
 * namespaces with bind mounts instead of running an infra process (CRI-O's "drop infra").
 * A new instance on the same state dir finds its containers, sandboxes and their exits.
 */
export class RuncConmonBackend implements RuntimeBackend, AsyncDisposable {
  readonly layout: StateLayout;
  readonly #options: RuncConmonBackendOptions;
  readonly #runtimes = new Map<string, RuntimeSet>();
  readonly #default: RuntimeSet;
  readonly #watcher: ExitWatcher;
  readonly #containers = new Map<string, LiveContainer>();
  readonly #creating = new Set<string>();
  readonly #exitListeners: ExitListeners;
  readonly #exits = new Map<string, ContainerExit>();
  readonly #sandboxes: SandboxManager;
  readonly #restrictOom: boolean;
  readonly #helper: HostHelper;
  readonly #helperLease: HelperLease;
  readonly #mounter: Mounter;
  readonly #ready: Promise<void>;
  #info: Promise<RuntimeBackendInfo> | undefined;
  #closed = false;

  constructor(options: RuncConmonBackendOptions) {
    this.#options = options;
    this.#exitListeners = new ExitListeners({ name: 'runc backend', logger: options.logger });
    this.layout = new StateLayout(options.state, options.runtimeRoot === undefined ? {} : { runcRoot: options.runtimeRoot });
    this.#restrictOom = options.restrictOomScoreAdj ?? !oomScoreLimits().canLower;
    this.#helperLease = leaseHelper(options.helper);
    this.#helper = this.#helperLease.helper;
    this.#mounter = new Mounter(this.#helper);
    const make = (name: string, binary: string, root: string): RuntimeSet => {
      const runc = new Runc({ binary, root, helper: this.#helper, ...(options.systemdCgroup ? { systemdCgroup: true } : {}), ...(options.logger ? { logger: options.logger } : {}) });
      const conmon = new Conmon({
        runc,
        exitDir: this.layout.exitDir,
        socketDir: this.layout.socketDir,
        logLevel: 'error',
        ...(options.conmon === undefined ? {} : { binary: options.conmon }),
        ...(options.logger ? { logger: options.logger } : {}),
      });
      let spec: Promise<string | undefined> | undefined;
      const maxOciVersion = (): Promise<string | undefined> => (spec ??= runc.version().then((v) => v.spec, () => undefined));
      return { name, runc, conmon, maxOciVersion };
    };
    this.#default = make('', options.runtime ?? 'runc', this.layout.runcRoot);
    this.#runtimes.set('', this.#default);
    for (const [name, handler] of Object.entries(options.handlers ?? {})) {
      if (name === '') throw new ShimError('InvalidArgument', 'runtime handler "" is the default one; configure it with `runtime`');
      this.#runtimes.set(name, make(name, handler.binary, handler.root ?? join(options.state, `runc-${name}`)));
    }
    this.#watcher = this.#default.conmon.watch();
    this.#sandboxes = new SandboxManager(this.layout, {
      shmSizeBytes: options.shmSizeBytes,
      handlers: [...this.#runtimes.keys()],
      helper: this.#helper,
      infra: {
        runtime: (handler) => ({ ...this.#runtime(handler), watcher: this.#watcher, mounter: this.#mounter }),
        source: options.infra,
        cgroupDriver: options.systemdCgroup ? 'systemd' : 'cgroupfs',
        oomScoreAdj: (wanted) => (this.#restrictOom ? Math.max(wanted, oomScoreLimits().current) : wanted),
      },
    });
    this.#watcher.onExit((exit) => void this.#exited(exit.id, { exitCode: exit.exitCode, exitedAt: exit.exitedAt }));
    this.#ready = this.#load();
    // a failed load is reported by every call that awaits it
    this.#ready.catch(() => undefined);
  }

  // ---- sandboxes --------------------------------------------------------------------------

  sandboxNeedsNetns(config: PodSandboxConfig): boolean {
    return sandboxNeedsNetnsAtStart(config);
  }

  async runSandbox(options: RunSandboxOptions): Promise<SandboxInfo> {
    await this.#open();
    return this.#sandboxes.run(options);
  }

  async stopSandbox(id: string, options: OperationOptions = {}): Promise<void> {
    await this.#open();
    await this.#sandboxes.stop(id, options);
  }

  async removeSandbox(id: string, options: OperationOptions = {}): Promise<void> {
    await this.#open();
    await this.#sandboxes.remove(id, options);
  }

  async sandboxState(id: string, options: OperationOptions = {}): Promise<'ready' | 'notready'> {
    await this.#open();
    return this.#sandboxes.state(id, options);
  }

  // ---- containers -------------------------------------------------------------------------

  async createContainer(options: CreateContainerOptions): Promise<void> {
    await this.#open();
    const { id, sandboxId, signal } = options;
    if (!isSafeId(id)) throw new ShimError('InvalidArgument', `container id ${JSON.stringify(id)} is not valid`);
    const handler = this.#sandboxes.handlerOf(sandboxId);
    if (handler === undefined) throw new ShimError('NotFound', `pod sandbox "${sandboxId}" not found in the runtime`);
    const runtime = this.#runtime(handler);
    if (this.#containers.has(id) || this.#creating.has(id)) throw new ShimError('AlreadyExists', `container "${id}" already exists`);
    this.#creating.add(id);
    const dir = this.layout.container(id);
    let wroteBundle = false;
    try {
      const spec = this.#guardOomScore(options.spec);
      const maxOciVersion = await runtime.maxOciVersion();
      makeBundleDir(dir, id);
      wroteBundle = true;
      const rootfs = await idmappedRootfs(dir, options.rootfs, spec, this.#helper);
      writeBundle(dir, await idmappedVolumes(dir, spec, this.#helper), rootfs, maxOciVersion === undefined ? {} : { maxOciVersion });
      // conmon writes a k8s-file log; with no log path the output goes to a small file it rotates
      const logPath = options.logPath === '' ? join(dir, 'discarded.log') : options.logPath;
      mkdirSync(dirname(logPath), { recursive: true });
      const launch: ConmonLaunch = {
        logPath,
        ...(options.logPath === '' ? { logSizeMax: 1024 * 1024 } : {}),
        terminal: spec.process?.terminal === true,
        stdin: options.stdin === true,
        leaveStdinOpen: options.stdinOnce !== true,
      };
      const meta: ContainerMeta = { id, sandboxId, handler, logPath: options.logPath, launch, createdAt: new Date().toISOString() };
      if (signal?.aborted) throw new ShimError('Cancelled', `creating container ${id}: cancelled`, { cause: signal.reason });
      writeFirstMeta(dir, meta);
      const parked = this.#options.prestartConmon ? runtime.conmon.prepare(id, { bundle: dir, ...launch }) : undefined;
      this.#containers.set(id, { meta, dir, exec: execTemplate(spec), parked, unlaunched: true });
    } catch (e) {
      if (wroteBundle) await removeBundle(dir, this.#mounter).catch(() => undefined);
      throw e;
    } finally {
      this.#creating.delete(id);
    }
  }

  /**
   * Starts a container: conmon creates it in the runtime first (`runc create`, the container's
   * init waits), then `runc start`. Like containerd, the runtime's container is made here rather
   * than in CreateContainer, which only writes the bundle.
   */
  async startContainer(id: string, options: OperationOptions = {}): Promise<{ startedAt: Date; pid?: number }> {
    const c = await this.#container(id);
    if (c.meta.pid === undefined) {
      if (await this.#exitOf(c)) throw new ShimError('FailedPrecondition', `container ${id} was stopped before it started`);
      c.launching ??= this.#launch(c, options.signal).finally(() => (c.launching = undefined));
      await c.launching;
    }
    try {
      await this.#runtime(c.meta.handler).runc.start(id, options);
    } catch (e) {
      throw toShimError(e, `starting container ${id}`);
    }
    const startedAt = new Date();
    c.meta = { ...c.meta, startedAt: startedAt.toISOString() };
    // The meta file only keeps, for a restart, what the caller's own record holds too: it is
    // written while the caller records the start.
    this.#saveMeta(c);
    return { startedAt, pid: c.meta.pid };
  }

  async stopContainer(id: string, options: StopContainerOptions): Promise<void> {
    const c = await this.#container(id);
    const { runc } = this.#runtime(c.meta.handler);
    if (await this.#exitOf(c)) return;
    if (c.meta.pid === undefined) {
      // nothing runs yet: it ends as a container killed before it started would
      await this.#unpark(c);
      await c.launching?.catch(() => undefined);
      if (c.meta.pid === undefined) return void this.#record(c, { exitCode: 137, exitedAt: new Date(), oomKilled: false });
    }
    const callerSignal = options.signal;
    const within = (ms: number): AbortSignal => (callerSignal === undefined ? AbortSignal.timeout(ms) : AbortSignal.any([callerSignal, AbortSignal.timeout(ms)]));
    if (options.timeoutSeconds > 0 && (await this.#kill(c, options.stopSignal ?? 'SIGTERM', options))) {
      const exited = await this.#waitExit(c, within(options.timeoutSeconds * 1000)).then(
        () => true,
        () => false,
      );
      callerSignal?.throwIfAborted();
      if (exited) return;
    }
    await this.#kill(c, 'SIGKILL', options);
    try {
      await this.#waitExit(c, within(KILL_WAIT_MS));
    } catch (e) {
      callerSignal?.throwIfAborted();
      // a container runc no longer has and conmon never reported: say so
      const state = await runc.state(id).catch((err: unknown) => err);
      if (isRuncError(state, 'NOT_FOUND')) throw new ShimError('NotFound', `container ${id} is gone from the runtime`, { cause: e });
      throw new ShimError('Internal', `container ${id} did not exit ${KILL_WAIT_MS} ms after SIGKILL`, { cause: e });
    }
  }

  async removeContainer(id: string, options: OperationOptions = {}): Promise<void> {
    await this.#open();
    const c = this.#containers.get(id);
    if (c === undefined) return;
    const { runc, conmon } = this.#runtime(c.meta.handler);
    await this.#unpark(c);
    try {
      await runc.delete(id, { force: true, ...options });
    } catch (e) {
      if (!isRuncError(e, 'NOT_FOUND')) throw toShimError(e, `removing container ${id}`);
    }
    // let conmon record the exit and go away before its directory does
    const { conmonPid } = c.meta;
    if (conmonPid !== undefined && processAlive(conmonPid, 'conmon')) {
      await this.#waitExit(c, AbortSignal.timeout(KILL_WAIT_MS)).catch(() => undefined);
      await waitFor(() => !processAlive(conmonPid, 'conmon'), { timeoutMs: 2000, intervalMs: 2 });
    }
    this.#containers.delete(id);
    this.#exits.delete(id);
    await conmon.removeExitFile(id);
    await rm(join(this.layout.socketDir, id), { force: true, recursive: true });
    await c.saving;
    await removeBundle(c.dir, this.#mounter);
  }

  async containerState(id: string, options: OperationOptions = {}): Promise<ContainerRuntimeState> {
    const c = await this.#container(id);
    const base = { pid: c.meta.pid, ...(c.meta.startedAt === undefined ? {} : { startedAt: new Date(c.meta.startedAt) }) };
    const exit = await this.#exitOf(c);
    if (exit) return { ...base, status: 'exited', exitCode: exit.exitCode, exitedAt: exit.exitedAt, oomKilled: exit.oomKilled };
    if (c.meta.pid === undefined) return { status: 'created' };
    let status: string;
    try {
      status = (await this.#runtime(c.meta.handler).runc.state(id, options)).status;
    } catch (e) {
      if (isRuncError(e, 'NOT_FOUND')) throw new ShimError('NotFound', `container ${id} is gone from the runtime`, { cause: e });
      throw toShimError(e, `state of container ${id}`);
    }
    if (status === 'created' || status === 'creating') return { ...base, status: 'created' };
    if (status === 'running' || status === 'paused') return { ...base, status: 'running' };
    // stopped: conmon writes the exit file right after reaping it
    await waitFor(async () => (await this.#exitOf(c)) !== undefined, { timeoutMs: 2000 });
    const late = await this.#exitOf(c);
    if (late) return { ...base, status: 'exited', exitCode: late.exitCode, exitedAt: late.exitedAt, oomKilled: late.oomKilled };
    return { ...base, status: 'unknown' };
  }

  async execSync(id: string, options: ExecSyncOptions): Promise<ExecSyncResult> {
    const c = await this.#container(id);
    if (options.cmd.length === 0) throw new ShimError('InvalidArgument', 'exec: cmd is empty');
    c.exec ??= await readExecTemplate(c.dir);
    if (c.exec === undefined) throw new ShimError('Internal', `container ${id}: its bundle has no process to exec from`);
    const runtime = this.#runtime(c.meta.handler);
    try {
      const r = await runtime.conmon.execSync(id, { ...c.exec, args: options.cmd, terminal: false }, {
        maxOutputBytes: options.maxOutputBytes ?? EXEC_SYNC_MAX_OUTPUT_BYTES,
        ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
      return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, timedOut: false };
    } catch (e) {
      if (isRuncError(e, 'TIMEOUT')) return { exitCode: 137, stdout: Buffer.alloc(0), stderr: Buffer.from(e.stderr ?? ''), timedOut: true };
      if (isRuncError(e) && !isRuncError(e, 'ABORTED') && (await this.#exitOf(c))) {
        throw new ShimError('FailedPrecondition', `container ${id} is not running`, { cause: e });
      }
      throw toShimError(e, `exec in container ${id}`);
    }
  }

  /** Starts `runc exec` of the container as a child: with pipes, or on a terminal for a tty exec. */
  async exec(id: string, options: ExecOptions): Promise<ExecProcess> {
    const c = await this.#container(id);
    c.exec ??= await readExecTemplate(c.dir);
    if (c.exec === undefined) throw new ShimError('Internal', `container ${id}: its bundle has no process to exec from`);
    if (await this.#exitOf(c)) throw new ShimError('FailedPrecondition', `container ${id} is not running`);
    return startRuncExec(this.#runtime(c.meta.handler).runc, id, { ...c.exec, args: options.cmd }, options);
  }

  /** Attaches through the container's conmon (its attach socket and control fifo in the bundle). */
  async attach(id: string, options: AttachOptions): Promise<AttachSession> {
    const c = await this.#container(id);
    if (await this.#exitOf(c)) throw new ShimError('FailedPrecondition', `container ${id} is not running`);
    return attachConmon(id, c.dir, { ...options, helper: this.#helper }, (e) => {
      this.#options.logger?.warn('resizing a terminal failed', { id, error: String(e) });
    });
  }

  async updateResources(id: string, resources: Resources, options: OperationOptions = {}): Promise<void> {
    const c = await this.#container(id);
    await c.launching?.catch(() => undefined);
    if (c.meta.pid === undefined) {
      options.signal?.throwIfAborted();
      return updateBundleResources(c.dir, resources).catch((e: unknown) => {
        throw new ShimError('Internal', `updating the resources of container ${id} in its bundle: ${String(e)}`, { cause: e });
      });
    }
    try {
      await this.#runtime(c.meta.handler).runc.update(id, resources, options);
    } catch (e) {
      throw toShimError(e, `updating the resources of container ${id}`);
    }
  }

  async stats(id: string, options: OperationOptions = {}): Promise<ContainerUsage> {
    const c = await this.#container(id);
    options.signal?.throwIfAborted();
    const timestamp = new Date();
    if (c.meta.startedAt === undefined || (await this.#exitOf(c))) return { timestamp };
    try {
      return usageFromStats(await readCgroupStats(c.meta.pid ?? 0), timestamp);
    } catch (e) {
      if (isRuncError(e, 'NOT_FOUND')) return { timestamp };
      throw toShimError(e, `stats of container ${id}`);
    }
  }

  /**
   * Asks the container's conmon to reopen its log file (a message on its control fifo);
   * resolves once the file exists again.
   */
  async reopenContainerLog(id: string, options: OperationOptions = {}): Promise<void> {
    const c = await this.#container(id);
    if (c.meta.logPath === '' || c.meta.pid === undefined) return; // no conmon writes it yet
    if (await this.#exitOf(c)) throw new ShimError('FailedPrecondition', `container ${id} is not running`);
    await writeConmonControl(c.dir, { type: CONMON_REOPEN_LOG }, `reopen the log of container ${id}`);
    const ok = await waitFor(() => exists(c.meta.logPath), { timeoutMs: 5000, ...options });
    if (!ok) throw new ShimError('Internal', `container ${id}: conmon did not reopen ${c.meta.logPath}`);
  }

  // ---- exits, info, lifecycle -------------------------------------------------------------

  onExit(listener: (exit: ContainerExit) => void): () => void {
    // exits seen before the listener came (e.g. found at start after a restart) still reach it
    return this.#exitListeners.add(listener, { seen: [...this.#exits.values()], current: (exit) => this.#exits.get(exit.id) === exit });
  }

  info(options: OperationOptions = {}): Promise<RuntimeBackendInfo> {
    options.signal?.throwIfAborted();
    this.#info ??= probeRuntimes({
      runtimes: [...this.#runtimes.values()].map((r) => ({ name: r.name, runc: r.runc })),
      conmon: this.#default.conmon.binary,
      cgroupDriver: this.#options.systemdCgroup ? 'systemd' : 'cgroupfs',
      helper: this.#helper,
      scratchDir: this.layout.base,
    });
    return this.#info;
  }

  /** Stops watching exits and removes private temp files. Containers and their conmons keep running. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#ready.catch(() => undefined);
    this.#exitListeners.clear();
    await Promise.all([...this.#containers.values()].map((c) => this.#unpark(c)));
    await Promise.all([...this.#containers.values()].map((c) => c.saving));
    await this.#watcher.close();
    for (const r of this.#runtimes.values()) {
      await r.conmon.close();
      await r.runc.close();
    }
    await this.#helperLease.release();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- internals --------------------------------------------------------------------------

  async #open(): Promise<void> {
    if (this.#closed) throw new ShimError('FailedPrecondition', 'the runc + conmon backend is closed');
    await this.#ready;
  }

  async #container(id: string): Promise<LiveContainer> {
    await this.#open();
    const c = this.#containers.get(id);
    if (c === undefined) throw new ShimError('NotFound', `container "${id}" not found`);
    return c;
  }

  #runtime(handler: string): RuntimeSet {
    const r = this.#runtimes.get(handler);
    if (r === undefined) throw new ShimError('InvalidArgument', `runtime handler "${handler}" is not configured`);
    return r;
  }

  /** Keeps the spec from asking for an oom_score_adj this process may not grant (runc would fail the container). */
  #guardOomScore<T extends CreateContainerOptions['spec']>(spec: T): T {
    const asked = spec.process?.oomScoreAdj;
    if (!this.#restrictOom || asked === undefined || spec.process === undefined) return spec;
    const own = oomScoreLimits().current;
    return asked >= own ? spec : { ...spec, process: { ...spec.process, oomScoreAdj: own } };
  }

  /** Sends a signal; false when the container is already gone. */
  async #kill(c: LiveContainer, signal: string, options: OperationOptions): Promise<boolean> {
    const { runc } = this.#runtime(c.meta.handler);
    try {
      await runc.kill(c.meta.id, signal, { ...options, all: signal === 'SIGKILL' });
      return true;
    } catch (e) {
      if (isRuncError(e, 'INVALID_STATE') || isRuncError(e, 'NOT_FOUND')) return false;
      if (signal === 'SIGKILL') {
        // `--all` needs the cgroup; fall back to the init process alone
        return runc.kill(c.meta.id, signal, options).then(
          () => true,
          () => false,
        );
      }
      throw toShimError(e, `signalling container ${c.meta.id}`);
    }
  }

  /**
   * Resolves once the container's exit file is there: the exit watcher, raced with a quick
   * poll of the file (the watcher lets each event settle for a while before reading it).
   */
  async #waitExit(c: LiveContainer, signal: AbortSignal): Promise<void> {
    const done = new AbortController();
    const both = AbortSignal.any([signal, done.signal]);
    const poll = async (): Promise<void> => {
      for (let interval = 2; ; interval = Math.min(interval * 2, 100)) {
        if (await this.#exitOf(c)) return;
        both.throwIfAborted();
        await new Promise((r) => setTimeout(r, interval));
      }
    };
    try {
      await Promise.race([this.#watcher.wait(c.meta.id, { signal: both }), poll()]);
    } finally {
      done.abort();
    }
  }

  async #exitOf(c: LiveContainer): Promise<ContainerExit | undefined> {
    const seen = this.#exits.get(c.meta.id);
    if (seen || c.unlaunched) return seen;
    const status = await this.#runtime(c.meta.handler).conmon.exitStatus(c.meta.id, { persistDir: join(c.dir, 'conmon') });
    return status === undefined ? undefined : { id: c.meta.id, ...status };
  }

  /** An exit file appeared: record it once, with the OOM flag, and tell the listeners. */
  async #exited(id: string, status: { exitCode: number; exitedAt: Date }): Promise<void> {
    await this.#ready.catch(() => undefined);
    const c = this.#containers.get(id);
    if (c === undefined || this.#exits.has(id)) return;
    const oomKilled = await this.#runtime(c.meta.handler).conmon.oomKilled(join(c.dir, 'conmon'));
    if (this.#exits.has(id) || !this.#containers.has(id)) return;
    this.#record(c, { ...status, oomKilled });
  }

  #record(c: LiveContainer, status: Omit<ContainerExit, 'id'>): void {
    const exit: ContainerExit = { id: c.meta.id, ...status };
    this.#exits.set(exit.id, exit);
    this.#exitListeners.tell(exit);
  }

  /**
   * Writes `c.meta` in the background, after the write before it (so the newest meta lands last);
   * `c.saving` ends when it is written (a failure is logged). removeContainer and close wait for it.
   */
  #saveMeta(c: LiveContainer): void {
    c.saving = (c.saving ?? Promise.resolve()).then(() =>
      writeMeta(c.dir, c.meta).catch((e: unknown) => this.#options.logger?.warn('writing container meta failed', { containerId: c.meta.id, error: String(e) })),
    );
  }

  /** conmon creates the container in the runtime (it runs `runc create`); the pids go to the meta file. */
  async #launch(c: LiveContainer, signal: AbortSignal | undefined): Promise<void> {
    const { id } = c.meta;
    const runtime = this.#runtime(c.meta.handler);
    const launch = c.meta.launch;
    if (launch === undefined) throw new ShimError('Internal', `container ${id}: its meta file says nothing of how to start conmon`);
    const parked = c.parked;
    c.parked = undefined;
    c.unlaunched = false;
    try {
      const created = parked !== undefined ? await parked.start(signal) : await runtime.conmon.create(id, { bundle: c.dir, ...launch, ...(signal === undefined ? {} : { signal }) });
      c.meta = { ...c.meta, pid: created.pid, conmonPid: created.conmonPid };
      // written while runc starts the container
      this.#saveMeta(c);
    } catch (e) {
      // a container of that id the runtime already had is not ours to delete
      if (!isRuncError(e, 'ALREADY_EXISTS')) await runtime.runc.delete(id, { force: true }).catch(() => undefined);
      throw toShimError(e, `creating container ${id} in the runtime`);
    }
  }

  /** Kills the conmon parked for a container that will not start. */
  async #unpark(c: LiveContainer): Promise<void> {
    const parked = c.parked;
    c.parked = undefined;
    await parked?.cancel();
  }

  /** Finds what an earlier instance left in the state dir, then starts watching exits. */
  async #load(): Promise<void> {
    await Promise.all([this.layout.containersDir, this.layout.exitDir, this.layout.socketDir, this.layout.sandboxesDir].map((d) => mkdir(d, { recursive: true })));
    await this.#sandboxes.load();
    for (const name of await readdir(this.layout.containersDir)) {
      const dir = this.layout.container(name);
      const meta = await readMeta(dir);
      if (meta === undefined || meta.id !== name) {
        // a create that died half way: nothing refers to it
        this.#options.logger?.warn('runc backend: removing a half-created container', { containerId: name });
        await this.#default.runc.delete(name, { force: true }).catch(() => undefined);
        await removeBundle(dir, this.#mounter);
        continue;
      }
      this.#containers.set(name, { meta, dir });
    }
    await this.#watcher.start();
  }
}

/** The container's bundle directory, new (synchronous, as the bundle writes after it). */
function makeBundleDir(dir: string, id: string): void {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new ShimError('AlreadyExists', `container "${id}" already exists (its bundle is there)`);
    throw e;
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

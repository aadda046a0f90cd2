import { accessSync, readFileSync, rmSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readCgroupStats } from './cgroup-stats.js';
import { FailureLineFilter } from './failure-line-filter.js';
import { findExecutable } from './find-executable.js';
import { clampOomScoreAdj, oomScoreLimits, type OomScoreLimits } from './oom-score.js';
import { checkId, flag, globalArgs, option, signalNumber, type KillSignal, type RuntimeGlobalFlags } from './runc-args.js';
import { RuncError, isRuncError, throwIfAborted } from './runc-error.js';
import { streamEvents } from './runc-events.js';
import { invoke, logOffset, type CallLog, type Invocation, type InvocationResult } from './runc-invoke.js';
import { leaseHelper, type HelperLease, type HostHelper } from '@shimkit/host-helper';
import { parseEvent, parseList, parsePs, parseState, parseVersion } from './runc-parse.js';
import { openStdio } from './runc-stdio.js';
import type {
  RuncOptions,
  CallOptions,
  CreateOptions,
  RunOptions,
  RunDetachedOptions,
  ProcessResult,
  ExecOptions,
  KillOptions,
  DeleteOptions,
  EventsOptions,
  CheckpointOptions,
  RestoreOptions,
  SpecOptions,
} from './runc-options.js';
import type { ContainerState, ContainerStats, OciLinuxResources, OciProcess, RuntimeEvent, RuntimeFeatures, RuntimeVersion } from './runc-types.js';
import { ScratchDir } from './scratch-dir.js';

/** Verbs that print nothing useful: no stdout pipe to set up and drain. */
const NO_OUTPUT = ['ignore', 'ignore', 'log'] as const;

/**
 * The runc command line (or any runtime with runc's CLI, such as crun), one method per verb.
 * Every call spawns the runtime once; failures reject with {@link RuncError}.
 */
export class Runc {
  /** The runtime binary this instance runs. */
  readonly binary: string;
  readonly #options: RuncOptions;
  readonly #scratch: ScratchDir;
  /** Runs this instance's runtime calls (and conmon for {@link Conmon}): the `helper` option, or one of its own. */
  readonly helper: HostHelper;
  readonly #helperLease: HelperLease;
  #closed = false;
  #oomLimits: OomScoreLimits | undefined;

  constructor(options: RuncOptions = {}) {
    this.binary = options.binary ?? 'runc';
    this.#options = { ...options };
    this.#scratch = new ScratchDir(options.tmpDir);
    this.#helperLease = leaseHelper(options.helper);
    this.helper = this.#helperLease.helper;
  }

  /** The runtime's `--root`, when set. */
  get root(): string | undefined {
    return this.#options.root;
  }

  /**
   * Global flags for a runtime started by someone else (conmon's `--runtime-arg`), with the
   * given JSON log file (or this instance's shared log file).
   */
  globalArgs(logFile?: string): string[] {
    const file = logFile ?? this.#options.logFile;
    return globalArgs({ ...this.#flags(), ...(file === undefined ? {} : { logFile: file, logFormat: logFile ? 'json' : this.#options.logFormat ?? 'json' }) });
  }

  /** A fresh path in this instance's private temp directory. */
  tempPath(suffix: string, options: CallOptions = {}): Promise<string> {
    this.#assertOpen();
    throwIfAborted(options.signal, 'temp path');
    return this.#scratch.path(suffix);
  }

  /**
   * Writes a process spec for `exec --process` (terminal off unless `process.terminal` is true,
   * cwd defaulted to `/`, oomScoreAdj clamped per `restrictOomScoreAdj`).
   */
  async writeProcessFile(path: string, process: OciProcess, options: CallOptions = {}): Promise<void> {
    throwIfAborted(options.signal, 'write process file');
    const spec: OciProcess = { ...process, cwd: process.cwd || '/', terminal: process.terminal === true };
    if (process.oomScoreAdj !== undefined && (this.#options.restrictOomScoreAdj ?? true)) {
      this.#oomLimits ??= oomScoreLimits();
      spec.oomScoreAdj = clampOomScoreAdj(process.oomScoreAdj, this.#oomLimits);
    }
    await writeFile(path, JSON.stringify(spec), options.signal ? { signal: options.signal } : {});
  }

  /** Creates a container from a bundle (`runc create`); it waits for {@link start}. */
  async create(id: string, options: CreateOptions): Promise<{ pid: number }> {
    return this.#createLike('create', id, options, []);
  }

  /** Starts a created container (`runc start`). */
  async start(id: string, options: CallOptions = {}): Promise<void> {
    checkId(id, 'start');
    await this.#run({ verb: 'start', id, args: ['start', id], stdio: NO_OUTPUT, signal: options.signal });
  }

  /**
   * `runc run`: detached (`detach: true`, resolves with the pid once started) or in the
   * foreground (resolves with the exit code and captured output once the container exits).
   */
  run(id: string, options: RunDetachedOptions): Promise<{ pid: number }>;
  run(id: string, options: RunOptions): Promise<ProcessResult>;
  async run(id: string, options: RunOptions | RunDetachedOptions): Promise<{ pid: number } | ProcessResult> {
    if (options.detach) return this.#createLike('run', id, options, ['--detach']);
    checkId(id, 'run');
    const bundle = await this.#checkBundle(options.bundle, 'run');
    const io = await openStdio(options.io ?? {}, { detached: false, verb: 'run' });
    const args = ['run', '--bundle', bundle];
    option(args, '--pid-file', options.pidFile);
    flag(args, '--keep', options.keep);
    this.#commonCreateFlags(args, options);
    args.push(id);
    const output = options.onOutput && new FailureLineFilter(options.onOutput);
    try {
      const r = await this.#run({
        verb: 'run',
        id,
        args,
        stdio: io.stdio,
        extraFds: options.preserveFds ?? [],
        signal: options.signal,
        exitCodeIsResult: true,
        ...(output ? { onOutput: (stream: 'stdout' | 'stderr', chunk: Buffer) => output.write(stream, chunk) } : {}),
        ...(options.newSession ? { newSession: true } : {}),
      });
      output?.end(false);
      return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
    } catch (err) {
      output?.end(true);
      if (isRuncError(err, 'ABORTED')) await this.#cleanupAborted(id, bundle);
      throw err;
    } finally {
      await io.close();
    }
  }

  /**
   * Runs a process in a running container (`runc exec --process <file>`). Foreground calls
   * resolve with its exit code and output; `detach: true` resolves with its pid once started.
   * `process.terminal` must be false (no console socket support here).
   */
  exec(id: string, process: OciProcess, options: ExecOptions & { detach: true }): Promise<{ pid: number }>;
  exec(id: string, process: OciProcess, options?: ExecOptions): Promise<ProcessResult>;
  async exec(id: string, process: OciProcess, options: ExecOptions = {}): Promise<ProcessResult | { pid: number }> {
    checkId(id, 'exec');
    if (process.terminal) throw new RuncError('INVALID_ARGUMENT', 'exec: process.terminal is not supported; set it to false');
    if (!Array.isArray(process.args) || process.args.length === 0) throw new RuncError('INVALID_ARGUMENT', 'exec: process.args must be a non-empty array');
    const detach = options.detach === true;
    const processFile = await this.tempPath('process.json');
    const pidFile = options.pidFile ?? (detach ? await this.tempPath('pid') : undefined);
    await this.writeProcessFile(processFile, process);
    const io = await openStdio(options.io ?? {}, { detached: detach, verb: 'exec' }).catch(async (err: unknown) => {
      await rm(processFile, { force: true });
      throw err;
    });
    const args = ['exec', '--process', processFile];
    flag(args, '--detach', detach);
    option(args, '--pid-file', pidFile);
    if (options.preserveFds?.length) option(args, '--preserve-fds', options.preserveFds.length);
    args.push(id);
    try {
      const r = await this.#run({ verb: 'exec', id, args, stdio: io.stdio, extraFds: options.preserveFds ?? [], signal: options.signal, exitCodeIsResult: !detach });
      if (detach && pidFile) return { pid: readPid(pidFile) };
      return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
    } finally {
      await io.close();
      await rm(processFile, { force: true });
      if (pidFile && options.pidFile === undefined) rmSync(pidFile, { force: true });
    }
  }

  /** Sends a signal to the container's init process, or to all its processes (`all`). */
  async kill(id: string, signal: KillSignal = 'SIGTERM', options: KillOptions = {}): Promise<void> {
    checkId(id, 'kill');
    const args = ['kill'];
    flag(args, '--all', options.all);
    args.push(id, String(signalNumber(signal)));
    await this.#run({ verb: 'kill', id, args, stdio: NO_OUTPUT, signal: options.signal });
  }

  /** Deletes a stopped container (`force` kills a running one first). */
  async delete(id: string, options: DeleteOptions = {}): Promise<void> {
    checkId(id, 'delete');
    const args = ['delete'];
    flag(args, '--force', options.force);
    args.push(id);
    await this.#run({ verb: 'delete', id, args, stdio: NO_OUTPUT, signal: options.signal });
  }

  /** The container's state (`runc state`). */
  async state(id: string, options: CallOptions = {}): Promise<ContainerState> {
    checkId(id, 'state');
    const r = await this.#run({ verb: 'state', id, args: ['state', id], signal: options.signal });
    return parseState(r.stdout);
  }

  /** All containers under this runtime root (`runc list --format json`). */
  async list(options: CallOptions = {}): Promise<ContainerState[]> {
    const r = await this.#run({ verb: 'list', args: ['list', '--format', 'json'], signal: options.signal });
    return parseList(r.stdout);
  }

  /** Host pids of the container's processes (`runc ps --format json`). */
  async ps(id: string, options: CallOptions = {}): Promise<number[]> {
    checkId(id, 'ps');
    const r = await this.#run({ verb: 'ps', id, args: ['ps', '--format', 'json', id], signal: options.signal });
    return parsePs(r.stdout);
  }

  /** Freezes every process of the container. */
  async pause(id: string, options: CallOptions = {}): Promise<void> {
    checkId(id, 'pause');
    await this.#run({ verb: 'pause', id, args: ['pause', id], stdio: NO_OUTPUT, signal: options.signal });
  }

  /** Thaws a paused container. */
  async resume(id: string, options: CallOptions = {}): Promise<void> {
    checkId(id, 'resume');
    await this.#run({ verb: 'resume', id, args: ['resume', id], stdio: NO_OUTPUT, signal: options.signal });
  }

  /** Changes the container's resource limits (`runc update --resources <file>`). */
  async update(id: string, resources: OciLinuxResources, options: CallOptions = {}): Promise<void> {
    checkId(id, 'update');
    const file = await this.tempPath('resources.json');
    await writeFile(file, JSON.stringify(resources));
    try {
      await this.#run({ verb: 'update', id, args: ['update', '--resources', file, id], stdio: NO_OUTPUT, signal: options.signal });
    } finally {
      await rm(file, { force: true });
    }
  }

  /**
   * One-shot statistics (`runc events --stats`). For a runtime without `events` (crun 1.8)
   * they are read from the container's cgroup files (see `cgroupStatsFallback`).
   */
  async stats(id: string, options: CallOptions = {}): Promise<ContainerStats> {
    checkId(id, 'stats');
    let r: InvocationResult;
    try {
      r = await this.#run({ verb: 'events', id, args: ['events', '--stats', id], signal: options.signal });
    } catch (err) {
      if (!isRuncError(err, 'UNSUPPORTED') || this.#options.cgroupStatsFallback === false) throw err;
      return this.#cgroupStats(id, options);
    }
    const event = parseEvent(r.stdout.trim());
    if (event.type !== 'stats' || !('data' in event)) throw new RuncError('PARSE_ERROR', `events --stats ${id}: expected a stats event, got ${event.type}`);
    return event.data as ContainerStats;
  }

  /**
   * Streams `runc events` (stats every `intervalMs`, OOM notifications). Ends when the container
   * goes away; breaking out of the loop or aborting kills the runtime process. For a runtime
   * without `events`, stats events are polled from the cgroup files (no OOM events then).
   */
  events(id: string, options: EventsOptions = {}): AsyncGenerator<RuntimeEvent, void, undefined> {
    checkId(id, 'events');
    this.#assertOpen();
    return this.#events(id, options);
  }

  async *#events(id: string, options: EventsOptions): AsyncGenerator<RuntimeEvent, void, undefined> {
    const interval = Math.max(1, Math.round(options.intervalMs ?? 5000));
    let yielded = false;
    try {
      for await (const event of this.#runtimeEvents(id, interval, options.signal)) {
        yielded = true;
        yield event;
      }
      return;
    } catch (err) {
      if (isRuncError(err, 'UNSUPPORTED')) {
        if (yielded || this.#options.cgroupStatsFallback === false) throw err;
      } else if (!isRuncError(err, 'ABORTED') && (await this.#gone(id))) {
        return; // the runtime failed because the container went away: the stream is over
      } else {
        throw err;
      }
    }
    const { signal } = options;
    for (;;) {
      let data: ContainerStats;
      try {
        data = await this.#cgroupStats(id, signal ? { signal } : {});
      } catch (err) {
        if (isRuncError(err, 'NOT_FOUND') || isRuncError(err, 'INVALID_STATE')) return;
        // a failure while the container is being deleted (half-removed state) ends the stream too
        if (!isRuncError(err, 'ABORTED') && (await this.#gone(id))) return;
        throw err;
      }
      yield { type: 'stats', id, data };
      try {
        await sleep(interval, undefined, signal ? { signal } : {});
      } catch (err) {
        throw new RuncError('ABORTED', `events ${id}: aborted`, { cause: err });
      }
    }
  }

  #runtimeEvents(id: string, interval: number, signal: AbortSignal | undefined): AsyncGenerator<RuntimeEvent, void, undefined> {
    return streamEvents({
      binary: this.binary,
      id,
      args: ['events', '--interval', `${interval}ms`, id],
      prepareLog: () => this.#callLog(),
      globals: (log) => globalArgs({ ...this.#flags(), logFile: log.path, logFormat: log.json ? 'json' : 'text' }),
      ...(signal ? { signal } : {}),
    });
  }

  /** True when the container no longer exists or has stopped. */
  async #gone(id: string): Promise<boolean> {
    try {
      return (await this.state(id)).status === 'stopped';
    } catch (err) {
      return isRuncError(err, 'NOT_FOUND');
    }
  }

  async #cgroupStats(id: string, options: CallOptions): Promise<ContainerStats> {
    const state = await this.state(id, options);
    if (state.status === 'stopped' || state.pid <= 0) throw new RuncError('INVALID_STATE', `stats ${id}: container is ${state.status}`);
    return readCgroupStats(state.pid);
  }

  /** Checkpoints a running container with criu (`CRIU_NOT_FOUND` when criu is missing). */
  async checkpoint(id: string, options: CheckpointOptions): Promise<void> {
    checkId(id, 'checkpoint');
    await this.#checkCriu('checkpoint');
    const args = ['checkpoint', '--image-path', options.imagePath];
    option(args, '--work-path', options.workPath);
    option(args, '--parent-path', options.parentPath);
    flag(args, '--leave-running', options.leaveRunning);
    flag(args, '--tcp-established', options.tcpEstablished);
    flag(args, '--ext-unix-sk', options.extUnixSk);
    flag(args, '--shell-job', options.shellJob);
    flag(args, '--file-locks', options.fileLocks);
    flag(args, '--pre-dump', options.preDump);
    option(args, '--manage-cgroups-mode', options.manageCgroupsMode);
    args.push(id);
    await this.#run({ verb: 'checkpoint', id, args, signal: options.signal });
  }

  /** Restores a checkpointed container, detached (`CRIU_NOT_FOUND` when criu is missing). */
  async restore(id: string, options: RestoreOptions): Promise<{ pid: number }> {
    await this.#checkCriu('restore');
    const extra = ['--detach', '--image-path', options.imagePath];
    option(extra, '--work-path', options.workPath);
    flag(extra, '--tcp-established', options.tcpEstablished);
    flag(extra, '--ext-unix-sk', options.extUnixSk);
    flag(extra, '--shell-job', options.shellJob);
    flag(extra, '--file-locks', options.fileLocks);
    option(extra, '--manage-cgroups-mode', options.manageCgroupsMode);
    return this.#createLike('restore', id, options, extra);
  }

  /** The runtime's features document (`runc features`; crun 1.8 lacks it: `UNSUPPORTED`). */
  async features(options: CallOptions = {}): Promise<RuntimeFeatures> {
    const r = await this.#run({ verb: 'features', args: ['features'], signal: options.signal });
    try {
      return JSON.parse(r.stdout) as RuntimeFeatures;
    } catch (err) {
      throw new RuncError('PARSE_ERROR', `features: invalid JSON from ${this.binary}`, { cause: err });
    }
  }

  /** The runtime's version (`--version`). */
  async version(options: CallOptions = {}): Promise<RuntimeVersion> {
    const r = await this.#run({ verb: '--version', args: ['--version'], signal: options.signal });
    return parseVersion(r.stdout);
  }

  /** Writes the runtime's default config.json into `bundle` (`runc spec`); returns its path. */
  async spec(options: SpecOptions): Promise<string> {
    const bundle = resolve(options.bundle);
    const args = ['spec', '--bundle', bundle];
    flag(args, '--rootless', options.rootless);
    await this.#run({ verb: 'spec', args, signal: options.signal });
    return join(bundle, 'config.json');
  }

  /** Removes the private temp directory and ends its own host helper (not one it was given). Containers are not touched. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([this.#helperLease.release(), this.#scratch.close()]);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #flags(): RuntimeGlobalFlags {
    const o = this.#options;
    return {
      ...(o.root === undefined ? {} : { root: o.root }),
      ...(o.systemdCgroup ? { systemdCgroup: true } : {}),
      ...(o.rootless === undefined ? {} : { rootless: o.rootless }),
      ...(o.criu === undefined ? {} : { criu: o.criu }),
      ...(o.debug ? { debug: true } : {}),
      ...(o.extraArgs ? { extraArgs: o.extraArgs } : {}),
    };
  }

  #assertOpen(): void {
    if (this.#closed) throw new RuncError('CLOSED', `Runc(${this.binary}) is closed`);
  }

  async #callLog(): Promise<CallLog> {
    const shared = this.#options.logFile;
    if (shared !== undefined) {
      return { path: shared, offset: await logOffset(shared), owned: false, json: (this.#options.logFormat ?? 'json') === 'json' };
    }
    return { path: await this.tempPath('log'), offset: 0, owned: true, json: true };
  }

  async #run(inv: Omit<Invocation, 'globals'>): Promise<InvocationResult> {
    this.#assertOpen();
    const log = await this.#callLog();
    const globals = globalArgs({ ...this.#flags(), logFile: log.path, logFormat: log.json ? 'json' : 'text' });
    this.#options.logger?.debug('runtime call', { binary: this.binary, args: inv.args });
    return invoke(this.binary, { ...inv, globals }, log, this.helper);
  }

  async #checkBundle(bundle: string, verb: string): Promise<string> {
    const abs = resolve(bundle);
    try {
      // sync on purpose (here and for pid files): a microsecond syscall, while an async fs
      // call is a thread-pool round trip that costs milliseconds on a loaded machine
      accessSync(join(abs, 'config.json'));
    } catch (err) {
      throw new RuncError('BUNDLE_NOT_FOUND', `${verb}: bundle ${abs} has no config.json`, { cause: err });
    }
    return abs;
  }

  async #checkCriu(verb: string): Promise<void> {
    const criu = this.#options.criu ?? 'criu';
    if ((await findExecutable(criu)) === undefined) {
      throw new RuncError('CRIU_NOT_FOUND', `${verb}: criu is required but ${criu} was not found${criu.includes('/') ? '' : ' on PATH'}`);
    }
  }

  #commonCreateFlags(args: string[], options: CreateOptions | RunOptions): void {
    option(args, '--console-socket', options.consoleSocket);
    flag(args, '--no-pivot', options.noPivot);
    flag(args, '--no-new-keyring', options.noNewKeyring);
    if (options.preserveFds?.length) option(args, '--preserve-fds', options.preserveFds.length);
  }

  /** create, run --detach and restore: detached, pid file, stdio that never is a pipe. */
  async #createLike(verb: 'create' | 'run' | 'restore', id: string, options: CreateOptions, extra: readonly string[]): Promise<{ pid: number }> {
    checkId(id, verb);
    this.#assertOpen();
    const bundle = await this.#checkBundle(options.bundle, verb);
    const pidFile = options.pidFile ?? (await this.tempPath('pid'));
    const io = await openStdio(options.io ?? {}, { detached: true, verb });
    const args = [verb, '--bundle', bundle, '--pid-file', pidFile, ...extra];
    this.#commonCreateFlags(args, options);
    args.push(id);
    try {
      await this.#run({ verb, id, args, stdio: io.stdio, extraFds: options.preserveFds ?? [], signal: options.signal });
      return { pid: readPid(pidFile) };
    } catch (err) {
      if (isRuncError(err, 'ABORTED')) await this.#cleanupAborted(id, bundle);
      throw err;
    } finally {
      await io.close();
      if (options.pidFile === undefined) rmSync(pidFile, { force: true });
    }
  }

  /** After an aborted create/run, delete what the killed runtime may have left, if it is ours. */
  async #cleanupAborted(id: string, bundle: string): Promise<void> {
    try {
      const state = await this.state(id);
      if (state.bundle === bundle) await this.delete(id, { force: true });
    } catch {
      // nothing was created
    }
  }
}

function readPid(pidFile: string): number {
  const text = readFileSync(pidFile, 'utf8');
  const pid = Number.parseInt(text.trim(), 10);
  if (!Number.isInteger(pid) || pid <= 0) throw new RuncError('PARSE_ERROR', `invalid pid file ${pidFile}: ${JSON.stringify(text)}`);
  return pid;
}

import { accessSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { access, mkdir, readFile, rm } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseSyncMessage } from './conmon-sync.js';
import { execSync, type ExecSyncOptions, type ExecSyncResult } from './exec-sync.js';
import { readExitFile, type ExitStatus } from './exit-file.js';
import { ExitWatcher, type ExitWatcherOptions } from './exit-watcher.js';
import { findExecutable } from './find-executable.js';
import { RunnerSpawnError } from '@shimkit/host-helper';
import type { Logger } from './logger.js';
import { checkId } from './runc-args.js';
import { RuncError, classifyRuntimeMessage, isRuncError, throwIfAborted } from './runc-error.js';
import { lastRuntimeError } from './runc-log.js';
import type { Runc } from './runc.js';
import type { OciProcess } from './runc-types.js';

/** Constructor options of {@link Conmon}. */
export interface ConmonOptions {
  /** The runtime conmon runs: its binary and global flags (`--root`, ...) are passed on. */
  runc: Runc;
  /** conmon binary (default `conmon` on PATH). */
  binary?: string;
  /** Directory where conmon writes `<id>` exit files. */
  exitDir: string;
  /** Directory for attach socket links (`--socket-dir-path`). */
  socketDir: string;
  /** conmon's own log level (`--log-level`), e.g. `'error'`. */
  logLevel?: 'error' | 'warn' | 'info' | 'debug' | 'trace';
  logger?: Logger;
}

/** Options of {@link Conmon.create}. */
export interface ConmonCreateOptions {
  /** Bundle directory holding config.json. */
  bundle: string;
  /** CRI log file (k8s-file format) for the container's stdout and stderr. */
  logPath: string;
  /**
   * conmon's per-container directory (`--persist-dir`): `exit`, `oom`, and by default the
   * pid files. Default `<bundle>/conmon`.
   */
  persistDir?: string;
  /** Default `<persistDir>/pid`. */
  containerPidFile?: string;
  /** Default `<persistDir>/conmon.pid`. */
  conmonPidFile?: string;
  /** Container name for conmon (`--name`; default the id). */
  name?: string;
  /** Rotate the log file beyond this many bytes (`--log-size-max`). */
  logSizeMax?: number;
  /** conmon kills the container after this many seconds (`--timeout`). */
  timeoutSeconds?: number;
  /**
   * The container runs on a terminal conmon allocates (`--terminal`); its config.json must say
   * `process.terminal: true`. The terminal's output goes to the log as stdout.
   */
  terminal?: boolean;
  /** conmon keeps a pipe to the container's stdin, fed by attach clients (`--stdin`). */
  stdin?: boolean;
  /** With `stdin`: keep the container's stdin open when an attach client disconnects (`--leave-stdin-open`; CRI's stdin_once=false). */
  leaveStdinOpen?: boolean;
  /** A program (absolute path, then its arguments) conmon runs after the container exited (`--exit-command`). */
  exitCommand?: readonly string[];
  signal?: AbortSignal;
}

/** A container created under conmon. */
export interface ConmonContainer {
  id: string;
  /** Host pid of the container's init process. */
  pid: number;
  /** pid of the conmon process monitoring it. */
  conmonPid: number;
  bundle: string;
  logPath: string;
  persistDir: string;
  exitFile: string;
  /**
   * conmon's attach socket (SOCK_SEQPACKET; each message starts with a stream byte) while the
   * container runs: reached through the `<socketDir>/<id>` link conmon makes to the bundle.
   */
  attachSocket: string;
  /** conmon's control fifo (`<bundle>/ctl`: reopen-log and resize requests). */
  controlFifo: string;
}

/** A conmon started ahead of its container's creation: see {@link Conmon.prepare}. */
export interface PreparedConmon {
  /** Lets conmon create the container; resolves or fails as {@link Conmon.create}. */
  start(signal?: AbortSignal): Promise<ConmonContainer>;
  /** Kills the parked conmon (nothing was created); a no-op once started. */
  cancel(): Promise<void>;
}

/** A finished container under conmon. */
export interface ConmonExit extends ExitStatus {
  /** True when the kernel OOM killer hit the container's memory cgroup (conmon's `oom` file). */
  oomKilled: boolean;
}

/**
 * Starts containers under conmon, the per-container monitor CRI-O uses: conmon runs
 * `<runtime> create`, keeps the container's stdio, writes the CRI log file and, when the
 * container exits, its exit file. conmon double-forks, so containers outlive this process.
 */
export class Conmon {
  readonly runc: Runc;
  readonly binary: string;
  readonly exitDir: string;
  readonly socketDir: string;
  readonly #options: ConmonOptions;
  readonly #watchers = new Set<ExitWatcher>();
  #made: Promise<void> | undefined;

  constructor(options: ConmonOptions) {
    this.runc = options.runc;
    this.binary = options.binary ?? 'conmon';
    this.exitDir = resolve(options.exitDir);
    this.socketDir = resolve(options.socketDir);
    this.#options = options;
  }

  /**
   * Creates the container under a new conmon (which runs `runtime create`). Resolves once the
   * runtime reported the container pid over the sync pipe; start it with `runc.start(id)`.
   */
  create(id: string, options: ConmonCreateOptions): Promise<ConmonContainer> {
    return this.#create(id, options, '0', () => true);
  }

  /**
   * Starts conmon for a container now, but parked on its start pipe: it has loaded and read its
   * options, and creates the container only when `start()` is called (which then resolves as
   * {@link create} does). `cancel()` kills it before it did anything. A parked conmon dies with
   * the host helper, so it never goes on by itself; when it is gone by the time `start()` is
   * called, `start()` runs a fresh {@link create}.
   */
  prepare(id: string, options: Omit<ConmonCreateOptions, 'signal'>): PreparedConmon {
    const fresh = (signal?: AbortSignal): Promise<ConmonContainer> => this.create(id, { ...options, ...(signal === undefined ? {} : { signal }) });
    let go!: (data: string) => void;
    const gate = new Promise<string>((resolve) => (go = resolve));
    const parked = new AbortController();
    let opened = false;
    let gone = false;
    const created = this.#create(id, { ...options, signal: parked.signal }, gate, () => opened);
    void created.catch(() => undefined).finally(() => (gone = !opened));
    return {
      start: async (signal) => {
        if (gone || opened) return fresh(signal);
        if (signal?.aborted) throw new RuncError('ABORTED', `conmon create ${id}: aborted before start`, { cause: signal.reason });
        opened = true;
        const forward = (): void => parked.abort(signal?.reason);
        signal?.addEventListener('abort', forward, { once: true });
        go('0');
        try {
          return await created;
        } catch (e) {
          // Ended by a signal without a word: gone before its go-ahead (or before it forked the
          // monitor that would have created the container), so nothing was made.
          if (isRuncError(e, 'CONMON_FAILED') && e.exitCode === undefined && !signal?.aborted) return await fresh(signal);
          throw e;
        } finally {
          signal?.removeEventListener('abort', forward);
        }
      },
      cancel: async () => {
        if (opened) return;
        parked.abort(new Error(`conmon for ${id} cancelled before start`));
        await created.catch(() => undefined);
      },
    };
  }

  async #create(id: string, options: ConmonCreateOptions, startPipe: string | Promise<string>, started: () => boolean): Promise<ConmonContainer> {
    checkId(id, 'conmon create');
    const { signal } = options;
    if (signal?.aborted) throw new RuncError('ABORTED', `conmon create ${id}: aborted before start`, { cause: signal.reason });
    const bundle = resolve(options.bundle);
    const persistDir = resolve(options.persistDir ?? join(bundle, 'conmon'));
    const pidFile = resolve(options.containerPidFile ?? join(persistDir, 'pid'));
    const conmonPidFile = resolve(options.conmonPidFile ?? join(persistDir, 'conmon.pid'));
    const logPath = resolve(options.logPath);
    try {
      // sync, as Runc checks bundles
      accessSync(join(bundle, 'config.json'));
    } catch (err) {
      throw new RuncError('BUNDLE_NOT_FOUND', `conmon create ${id}: bundle ${bundle} has no config.json`, { cause: err });
    }
    // conmon wants an absolute runtime path
    const [runtime, runtimeLog] = await Promise.all([findExecutable(this.runc.binary), this.runc.tempPath('log'), this.#directories()]);
    if (runtime === undefined) throw new RuncError('BINARY_NOT_FOUND', `conmon create ${id}: runtime binary not found or not executable: ${this.runc.binary}`);
    // only now: by default it is a directory in the bundle
    mkdirSync(persistDir, { recursive: true });

    const args = [
      '--api-version', '1',
      '--cid', id,
      '--cuuid', id,
      '--name', options.name ?? id,
      '--runtime', resolve(runtime),
      '--bundle', bundle,
      '--container-pidfile', pidFile,
      '--conmon-pidfile', conmonPidFile,
      '--log-path', `k8s-file:${logPath}`,
      '--exit-dir', this.exitDir,
      '--socket-dir-path', this.socketDir,
      '--persist-dir', persistDir,
      ...this.runc.globalArgs(runtimeLog).map((a) => `--runtime-arg=${a}`),
    ];
    if (this.#options.logLevel) args.push('--log-level', this.#options.logLevel);
    if (options.logSizeMax !== undefined) args.push('--log-size-max', String(options.logSizeMax));
    if (options.timeoutSeconds !== undefined) args.push('--timeout', String(options.timeoutSeconds));
    if (options.terminal) args.push('--terminal');
    if (options.stdin) args.push('--stdin');
    if (options.stdin && options.leaveStdinOpen) args.push('--leave-stdin-open');
    const [exitProgram, ...exitArgs] = options.exitCommand ?? [];
    if (exitProgram !== undefined) args.push('--exit-command', exitProgram, ...exitArgs.flatMap((a) => ['--exit-command-arg', a]));
    const argv = [this.binary, ...args];
    this.#options.logger?.debug('conmon create', { argv });

    try {
      // fd 3: sync pipe (conmon reports the pid or the runtime's error); fd 4: start pipe
      // (conmon waits for one write before doing anything).
      const ran = await this.runc.helper
        .run({
          argv,
          env: { _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4' },
          cwd: persistDir,
          stderr: 'pipe',
          extraFds: ['line', startPipe],
          ...(signal === undefined ? {} : { signal }),
        })
        .catch((error: unknown) => error as Error);
      if (signal?.aborted) {
        // a conmon killed while parked never ran the runtime
        if (started()) await this.#cleanupAborted(id, conmonPidFile);
        throw new RuncError('ABORTED', `conmon create ${id}: aborted`, { argv, cause: signal.reason });
      }
      if (ran instanceof Error) {
        const missing = ran instanceof RunnerSpawnError && ran.code === 'ENOENT';
        throw new RuncError(missing ? 'BINARY_NOT_FOUND' : 'CONMON_FAILED', missing ? `conmon binary not found: ${this.binary}` : `cannot run conmon: ${ran.message}`, { argv, cause: ran });
      }
      const message = parseSyncMessage(ran.lines[0] ?? '');
      if (message === undefined || message.data <= 0) {
        const stderr = ran.stderr.subarray(-65536).toString('utf8');
        const logText = await readFile(runtimeLog, 'utf8').catch(() => '');
        const runtimeMessage = lastRuntimeError(logText) ?? message?.message?.trim();
        const cleanStderr = stderr.replace(/^\[conmon:d\]: failed to write to \/proc\/self\/oom_score_adj.*$/gm, '').trim();
        const detail = runtimeMessage ?? (cleanStderr || `conmon exited with code ${String(ran.exitCode)} without reporting a pid`);
        const code = runtimeMessage ? classifyRuntimeMessage(runtimeMessage) : 'CONMON_FAILED';
        throw new RuncError(code, `conmon create ${id} (${basename(this.runc.binary)}): ${detail}`, {
          argv,
          stderr,
          ...(ran.exitCode === null ? {} : { exitCode: ran.exitCode }),
          ...(runtimeMessage ? { runtimeMessage } : {}),
        });
      }
      // sync, as Runc reads its pid files
      const conmonPid = Number.parseInt(readFileSync(conmonPidFile, 'utf8').trim(), 10);
      return {
        id,
        pid: message.data,
        conmonPid,
        bundle,
        logPath,
        persistDir,
        exitFile: join(this.exitDir, id),
        attachSocket: join(this.socketDir, id, 'attach'),
        controlFifo: join(bundle, 'ctl'),
      };
    } finally {
      rmSync(runtimeLog, { force: true });
    }
  }

  /**
   * The container's exit, read back from conmon's files; undefined while it runs. Works from
   * any process (e.g. after a restart of the caller). `persistDir` enables OOM detection.
   */
  async exitStatus(id: string, options: { persistDir?: string; signal?: AbortSignal } = {}): Promise<ConmonExit | undefined> {
    checkId(id, 'exit status');
    throwIfAborted(options.signal, `exit status ${id}`);
    const status = await readExitFile(join(this.exitDir, id));
    if (!status) return undefined;
    return { ...status, oomKilled: options.persistDir ? await this.oomKilled(options.persistDir) : false };
  }

  /** True when conmon recorded an OOM kill in the container's persist dir. */
  async oomKilled(persistDir: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    throwIfAborted(options.signal, 'oom check');
    try {
      await access(join(persistDir, 'oom'));
      return true;
    } catch {
      return false;
    }
  }

  /** A watcher reporting container exits from this conmon's exit dir; closed with this object. */
  watch(options: ExitWatcherOptions = {}): ExitWatcher {
    const watcher = new ExitWatcher(this.exitDir, { ...(this.#options.logger ? { logger: this.#options.logger } : {}), ...options });
    this.#watchers.add(watcher);
    return watcher;
  }

  /**
   * Runs a command in a running container and waits for it (ExecSync): see {@link execSync}.
   */
  execSync(id: string, process: OciProcess, options: ExecSyncOptions = {}): Promise<ExecSyncResult> {
    return execSync(this.runc, id, process, options);
  }

  /** Removes the exit file of a deleted container (so the id can be reused). */
  async removeExitFile(id: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    checkId(id, 'remove exit file');
    throwIfAborted(options.signal, `remove exit file ${id}`);
    await rm(join(this.exitDir, id), { force: true });
    for (const w of this.#watchers) w.forget(id);
  }

  /** Closes the watchers made by {@link watch}. Containers and their conmons keep running. */
  async close(): Promise<void> {
    await Promise.all([...this.#watchers].map((w) => w.close()));
    this.#watchers.clear();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** The exit and socket directories, made on the first create (again after a failure). */
  #directories(): Promise<void> {
    this.#made ??= Promise.all([this.exitDir, this.socketDir].map((d) => mkdir(d, { recursive: true }))).then(
      () => undefined,
      (e: unknown) => {
        this.#made = undefined;
        throw e;
      },
    );
    return this.#made;
  }

  async #cleanupAborted(id: string, conmonPidFile: string): Promise<void> {
    const conmonPid = Number.parseInt(await readFile(conmonPidFile, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(conmonPid) && conmonPid > 1) {
      try {
        process.kill(conmonPid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await this.runc.delete(id, { force: true }).catch(() => undefined);
  }
}

import type { HostHelper } from '@shimkit/host-helper';
import type { Logger } from './logger.js';
import type { RuncIO } from './runc-stdio.js';

/** Constructor options of {@link Runc}. */
export interface RuncOptions {
  /** Runtime binary: a name on PATH or a path (`'runc'` by default; `'crun'` works unchanged). */
  binary?: string;
  /** State directory of the runtime (`--root`). */
  root?: string;
  /**
   * A log file shared by all calls (`--log`). When unset, every call gets its own JSON log
   * in a private temp directory, so error messages never mix between concurrent calls.
   */
  logFile?: string;
  /** Format of `logFile` (`json` by default; the per-call logs are always JSON). */
  logFormat?: 'json' | 'text';
  /** Use the systemd cgroup driver (`--systemd-cgroup`). */
  systemdCgroup?: boolean;
  /** `--rootless true|false|auto`; unset leaves the runtime's default. */
  rootless?: boolean | 'auto';
  /** Path of criu for checkpoint/restore (`--criu`); by default `criu` is looked up on PATH. */
  criu?: string;
  /** `--debug`. */
  debug?: boolean;
  /** More global flags, placed after the others and before the verb. */
  extraArgs?: readonly string[];
  /**
   * Raise `oomScoreAdj` of exec'd processes to this process's own value when it lacks
   * CAP_SYS_RESOURCE (a runtime cannot lower it then: runc create fails outright, runc exec
   * silently keeps the old value). Default true. config.json of `create` is not touched.
   */
  restrictOomScoreAdj?: boolean;
  /**
   * When the runtime has no `events` verb (crun 1.8), compute `stats`/`events` from the
   * container's cgroup files instead of failing with `UNSUPPORTED`. Default true.
   */
  cgroupStatsFallback?: boolean;
  /** Parent of the private temp directory (default /dev/shm when writable, else `os.tmpdir()`). */
  tmpDir?: string;
  /** The host helper that runs the runtime and conmon (shared; not closed by this instance). Default: one of its own. */
  helper?: HostHelper;
  logger?: Logger;
}

/** Options every call accepts. */
export interface CallOptions {
  /** Aborting kills the runtime process; the call rejects with code `ABORTED`. */
  signal?: AbortSignal;
}

/** Options of {@link Runc.create}. */
export interface CreateOptions extends CallOptions {
  /** Bundle directory holding config.json. */
  bundle: string;
  /**
   * Container stdio. Defaults to /dev/null. `'pipe'` is refused: the container inherits these
   * streams, and a pipe held open by it would never reach EOF.
   */
  io?: RuncIO;
  /** Where the runtime writes the container pid (a private temp file by default). */
  pidFile?: string;
  /** `--console-socket` (for `process.terminal: true`). */
  consoleSocket?: string;
  noPivot?: boolean;
  noNewKeyring?: boolean;
  /** Open fds passed to the container as fd 3, 4, ... (`--preserve-fds`). */
  preserveFds?: readonly number[];
}

/** Options of a foreground {@link Runc.run}. */
export interface RunOptions extends Omit<CreateOptions, 'io'> {
  detach?: false;
  /** Keep the stopped container instead of deleting it when it exits (`--keep`). */
  keep?: boolean;
  /** Stdio; stdout and stderr default to `'pipe'` (returned in the result). */
  io?: RuncIO;
  /**
   * Hands what the container writes to a `'pipe'` stdout or stderr over as it comes, instead of
   * returning it at the end (the result's `stdout`/`stderr` are then empty). runc's own failure
   * line is left out when the call fails with it.
   */
  onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
  /**
   * Runs the runtime in a session of its own (setsid), so a terminal's Ctrl-C reaches this
   * process alone, which forwards it as it sees fit (e.g. with {@link Runc.kill}).
   */
  newSession?: boolean;
}

/** Options of a detached {@link Runc.run}. */
export interface RunDetachedOptions extends CreateOptions {
  detach: true;
}

/** Result of a foreground run or exec. */
export interface ProcessResult {
  /** Exit code of the process (128+n when killed by signal n). */
  exitCode: number;
  /** Captured stdout (empty unless stdout was `'pipe'`). */
  stdout: string;
  stderr: string;
}

/** Options of {@link Runc.exec}. */
export interface ExecOptions extends CallOptions {
  /** `--detach`: return once the process started. */
  detach?: boolean;
  /** Stdio; foreground stdout/stderr default to `'pipe'`; detached refuses `'pipe'`. */
  io?: RuncIO;
  pidFile?: string;
  preserveFds?: readonly number[];
}

/** Options of {@link Runc.kill}. */
export interface KillOptions extends CallOptions {
  /** Send the signal to every process of the container (`--all`). */
  all?: boolean;
}

/** Options of {@link Runc.delete}. */
export interface DeleteOptions extends CallOptions {
  /** Kill a running container first (`--force`). */
  force?: boolean;
}

/** Options of {@link Runc.events}. */
export interface EventsOptions extends CallOptions {
  /** Stats interval in milliseconds (runc's default is 5 s). */
  intervalMs?: number;
}

/** Options of {@link Runc.checkpoint}. */
export interface CheckpointOptions extends CallOptions {
  imagePath: string;
  workPath?: string;
  parentPath?: string;
  leaveRunning?: boolean;
  tcpEstablished?: boolean;
  extUnixSk?: boolean;
  shellJob?: boolean;
  fileLocks?: boolean;
  preDump?: boolean;
  manageCgroupsMode?: 'soft' | 'full' | 'strict' | 'ignore';
}

/** Options of {@link Runc.restore}. */
export interface RestoreOptions extends CreateOptions {
  imagePath: string;
  workPath?: string;
  tcpEstablished?: boolean;
  extUnixSk?: boolean;
  shellJob?: boolean;
  fileLocks?: boolean;
  manageCgroupsMode?: 'soft' | 'full' | 'strict' | 'ignore';
}

/** Options of {@link Runc.spec}. */
export interface SpecOptions extends CallOptions {
  /** Directory to write config.json into. */
  bundle: string;
  rootless?: boolean;
}

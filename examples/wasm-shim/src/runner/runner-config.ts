/** A directory the module gets as a WASI preopen. */
export interface Preopen {
  /** The name the module sees (`/`, `.`, `/data` ...). */
  guest: string;
  /** The host directory. */
  host: string;
  readOnly: boolean;
}

/** What the backend hands a runner (written as `runner.json` in the container's directory). */
export interface RunnerConfig {
  id: string;
  /** Host path of the `.wasm` module. */
  module: string;
  /** The module's argv, `args[0]` as the spec gives it. */
  args: string[];
  env: Record<string, string>;
  /** In the order the module gets them (fds 3, 4, ...). */
  preopens: Preopen[];
  /** CRI log file ('' discards the output). */
  logPath: string;
  /** Where the runner writes how the module ended ({@link ExitRecord}). */
  exitFile: string;
  /** cgroup directories the runner joins before it instantiates the module. */
  cgroupDirs: string[];
}

/** How a container ended, as `exit.json` keeps it. */
export interface ExitRecord {
  /** 128+n when killed by signal n. */
  exitCode: number;
  /** ISO time. */
  exitedAt: string;
  oomKilled: boolean;
  /** Why, when the module did not simply exit (a trap, a failed start, a kill). */
  message?: string;
}

/** What a trap ends with: as if the module had aborted (128 + SIGABRT). */
export const TRAP_EXIT_CODE = 134;
/** What a module that could not be started ends with (as runc reports a failed exec). */
export const START_FAILED_EXIT_CODE = 128;

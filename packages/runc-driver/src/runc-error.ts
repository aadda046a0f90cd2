/** What went wrong when driving an OCI runtime or conmon. */
export type RuncErrorCode =
  /** No container with that id (state, start, kill, delete, ...). */
  | 'NOT_FOUND'
  /** A container with that id already exists (create, run, restore). */
  | 'ALREADY_EXISTS'
  /** The bundle directory or its config.json does not exist. */
  | 'BUNDLE_NOT_FOUND'
  /** config.json (or a process/resources document) could not be parsed or is invalid. */
  | 'INVALID_CONFIG'
  /** The runtime, conmon or another required binary is not installed at the given path. */
  | 'BINARY_NOT_FOUND'
  /** checkpoint/restore need criu, which is not on PATH (or not at the configured path). */
  | 'CRIU_NOT_FOUND'
  /** The runtime does not implement this verb or flag (e.g. `crun events`). */
  | 'UNSUPPORTED'
  /** The container is in the wrong state for the verb (e.g. pausing a stopped container). */
  | 'INVALID_STATE'
  /** The caller passed options that cannot work (checked before running anything). */
  | 'INVALID_ARGUMENT'
  /** The AbortSignal fired; the runtime process was killed. */
  | 'ABORTED'
  /** A deadline expired (ExecSync timeout). */
  | 'TIMEOUT'
  /** The runtime's output could not be parsed. */
  | 'PARSE_ERROR'
  /** conmon failed before reporting the container pid. */
  | 'CONMON_FAILED'
  /** The object was closed. */
  | 'CLOSED'
  /** Any other non-zero exit of the runtime. */
  | 'COMMAND_FAILED';

/** Details attached to a {@link RuncError}. */
export interface RuncErrorDetails {
  cause?: unknown;
  /** The full argv that was run (binary first). */
  argv?: readonly string[];
  /** Exit code of the runtime process, when it exited. */
  exitCode?: number;
  /** Signal that ended the runtime process, when it was killed. */
  exitSignal?: string;
  /** What the process wrote to stderr (when it was captured). */
  stderr?: string;
  /** The error message from the runtime's JSON log (`{"level":"error","msg":...}`). */
  runtimeMessage?: string;
}

/** The one error class of @shimkit/runc-driver. */
export class RuncError extends Error {
  override readonly name = 'RuncError';
  readonly code: RuncErrorCode;
  readonly argv: readonly string[];
  readonly exitCode: number | undefined;
  readonly exitSignal: string | undefined;
  readonly stderr: string;
  readonly runtimeMessage: string | undefined;

  constructor(code: RuncErrorCode, message: string, details: RuncErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.argv = details.argv ?? [];
    this.exitCode = details.exitCode;
    this.exitSignal = details.exitSignal;
    this.stderr = details.stderr ?? '';
    this.runtimeMessage = details.runtimeMessage;
  }
}

/** True when `e` is a {@link RuncError} (and, if given, has that code). */
export function isRuncError(e: unknown, code?: RuncErrorCode): e is RuncError {
  return e instanceof RuncError && (code === undefined || e.code === code);
}

const PATTERNS: ReadonlyArray<readonly [RegExp, RuncErrorCode]> = [
  // runc: "container does not exist"; crun: "error opening file `/run/crun/x/status`: No such file or directory"
  [/container does not exist|container .* does not exist|\/status`?: No such file or directory/i, 'NOT_FOUND'],
  // crun delete of an unknown id: "cannot open directory '<root>/<id>': No such file or directory"
  [/cannot open directory .*: No such file or directory/i, 'NOT_FOUND'],
  [/already exists/i, 'ALREADY_EXISTS'],
  // runc: "chdir /x: no such file or directory"; crun: "chdir `/x` failed"; config.json missing
  [/chdir .*(no such file|failed)|config\.json: no such file|open config\.json/i, 'BUNDLE_NOT_FOUND'],
  [/invalid character|cannot unmarshal|unexpected end of JSON|error loading config\.json|error parsing|parse error|invalid (spec|config)/i, 'INVALID_CONFIG'],
  [/unknown command|no help topic|flag provided but not defined|unknown option|unrecognized option/i, 'UNSUPPORTED'],
  [/criu.*(not found|executable file)|executable file not found.*criu|cannot find criu/i, 'CRIU_NOT_FOUND'],
  [/not running|not paused|not stopped|cannot (pause|resume|start|exec|delete)|is (stopped|paused|running)|container (has )?(already )?(stopped|paused)|already (started|stopped|paused)|not in created state/i, 'INVALID_STATE'],
];

/** Maps a runtime error message (runc's or crun's wording) to an error code. */
export function classifyRuntimeMessage(message: string): RuncErrorCode {
  for (const [pattern, code] of PATTERNS) {
    if (pattern.test(message)) return code;
  }
  return 'COMMAND_FAILED';
}

/** Throws `ABORTED` when `signal` has fired (for quick calls that run no process). */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new RuncError('ABORTED', `${what}: aborted`, { cause: signal.reason });
}

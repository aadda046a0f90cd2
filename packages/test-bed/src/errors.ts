/** What went wrong in the test bed. */
export type TestBedErrorCode =
  | 'BINARY_MISSING'
  | 'COMMAND_FAILED'
  | 'START_FAILED'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'INVALID_ARGUMENT';

/** The one error class of @shimkit/test-bed. */
export class TestBedError extends Error {
  override readonly name = 'TestBedError';
  readonly code: TestBedErrorCode;

  constructor(code: TestBedErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** True when `e` is a TestBedError (optionally with the given code). */
export function isTestBedError(e: unknown, code?: TestBedErrorCode): e is TestBedError {
  return e instanceof TestBedError && (code === undefined || e.code === code);
}

/** Throws a TestBedError `ABORTED` naming `what` when the signal is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new TestBedError('ABORTED', `${what}: aborted`, { cause: signal.reason });
}

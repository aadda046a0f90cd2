import { constants } from 'node:os';

/** Why the helper itself failed: it (or the malloc-trim addon) is not built, could not start, or died. */
export type HostHelperErrorCode = 'HELPER_MISSING' | 'HELPER_DIED' | 'ADDON_MISSING';

export class HostHelperError extends Error {
  constructor(readonly code: HostHelperErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HostHelperError';
  }
}

const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, n]) => [n, name]));

/** A system call the kernel refused; `code` is the errno name (`EBUSY`), `errno` its number. */
export class SystemCallError extends Error {
  readonly code: string;

  constructor(message: string, readonly errno: number) {
    super(message);
    this.name = 'SystemCallError';
    this.code = ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
  }
}

/** The program of a job could not be started; `code` is the errno name (`ENOENT`, `EACCES` ...). */
export class RunnerSpawnError extends SystemCallError {
  constructor(message: string, errno: number) {
    super(message, errno);
    this.name = 'RunnerSpawnError';
  }
}

export function isHostHelperError(e: unknown): e is HostHelperError {
  return e instanceof Error && (e as HostHelperError).name === 'HostHelperError';
}

/**
 * Why a shimkit operation failed. Most codes are the gRPC status a CRI client receives;
 * `CorruptState` (unreadable state on disk) answers `Internal`, `MissingModule` (no
 * implementation registered for a token) answers `FailedPrecondition`.
 */
export type ShimErrorCode =
  | 'NotFound'
  | 'AlreadyExists'
  | 'InvalidArgument'
  | 'FailedPrecondition'
  | 'Unimplemented'
  | 'DeadlineExceeded'
  | 'Cancelled'
  | 'ResourceExhausted'
  | 'PermissionDenied'
  | 'Unauthenticated'
  | 'Unavailable'
  | 'Internal'
  | 'CorruptState'
  | 'MissingModule';

/** The one error class of shimkit; backends and stores throw it so handlers can answer the right gRPC code. */
export class ShimError extends Error {
  override readonly name = 'ShimError';
  readonly code: ShimErrorCode;

  constructor(code: ShimErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/** Whether `e` is a {@link ShimError}, optionally with the given code (checked by code, not only by class). */
export function isShimError(e: unknown, code?: ShimErrorCode): e is ShimError {
  if (!(e instanceof Error) || e.name !== 'ShimError' || typeof (e as ShimError).code !== 'string') return false;
  return code === undefined || (e as ShimError).code === code;
}

import { isRuncError } from '@shimkit/runc-driver';
import { ShimError, type ShimErrorCode } from '../../errors.js';

const CODES: Record<string, ShimErrorCode> = {
  NOT_FOUND: 'NotFound',
  ALREADY_EXISTS: 'AlreadyExists',
  INVALID_STATE: 'FailedPrecondition',
  INVALID_ARGUMENT: 'InvalidArgument',
  INVALID_CONFIG: 'InvalidArgument',
  ABORTED: 'Cancelled',
  TIMEOUT: 'DeadlineExceeded',
  BINARY_NOT_FOUND: 'FailedPrecondition',
  UNSUPPORTED: 'Unimplemented',
};

/** A runc-driver error as the ShimError a handler answers with (other errors pass through). */
export function toShimError(e: unknown, what: string): unknown {
  if (!isRuncError(e)) return e;
  return new ShimError(CODES[e.code] ?? 'Internal', `${what}: ${e.message}`, { cause: e });
}

import { isImageStoreError, type ImageStoreErrorCode } from '@shimkit/image-store';
import { isShimError, ShimError, type ShimErrorCode } from '../../errors.js';

// Codes left out (corrupt or unsafe content, I/O, protocol violations) answer Internal.
const CODES: Partial<Record<ImageStoreErrorCode, ShimErrorCode>> = {
  INVALID_ARGUMENT: 'InvalidArgument',
  NOT_FOUND: 'NotFound',
  REGISTRY_NOT_FOUND: 'NotFound',
  NO_MATCHING_PLATFORM: 'NotFound',
  REGISTRY_UNAUTHORIZED: 'Unauthenticated',
  REGISTRY_DENIED: 'PermissionDenied',
  REGISTRY_TOO_MANY_REQUESTS: 'ResourceExhausted',
  REGISTRY_SERVER_ERROR: 'Unavailable',
  REGISTRY_NETWORK: 'Unavailable',
  PROGRESS_TIMEOUT: 'DeadlineExceeded',
  ABORTED: 'Cancelled',
  IN_USE: 'FailedPrecondition',
  POLICY_REJECTED: 'PermissionDenied',
};

/**
 * The error an ImageBackend call answers for `e`: an image-store error becomes a ShimError
 * whose code is the gRPC status kubelet expects, its message prefixed with what was being
 * done; ShimErrors and aborts pass through.
 */
export function shimErrorOf(e: unknown, doing: string): unknown {
  if (isShimError(e)) return e;
  if (e instanceof Error && e.name === 'AbortError') return e;
  if (isImageStoreError(e)) return new ShimError(CODES[e.code] ?? 'Internal', `${doing}: ${e.message}`, { cause: e });
  return new ShimError('Internal', `${doing}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}

/** Every failure kind @shimkit/image-store reports. */
export type ImageStoreErrorCode =
  | 'INVALID_ARGUMENT'
  | 'TAR_INVALID'
  | 'LAYER_UNSAFE_PATH'
  | 'LAYER_UNSUPPORTED_ENTRY'
  | 'LAYER_APPLY_FAILED'
  | 'DECOMPRESS_FAILED'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'DIGEST_MISMATCH'
  | 'SIZE_MISMATCH'
  | 'NOT_FOUND'
  | 'STORE_IO'
  | 'REGISTRY_UNAUTHORIZED'
  | 'REGISTRY_DENIED'
  | 'REGISTRY_NOT_FOUND'
  | 'REGISTRY_TOO_MANY_REQUESTS'
  | 'REGISTRY_SERVER_ERROR'
  | 'REGISTRY_PROTOCOL'
  | 'REGISTRY_NETWORK'
  | 'PROGRESS_TIMEOUT'
  | 'NO_MATCHING_PLATFORM'
  | 'IN_USE'
  | 'POLICY_REJECTED'
  | 'SIGNING_FAILED'
  | 'BUILD_SYNTAX'
  | 'BUILD_STEP_FAILED'
  | 'ABORTED';

/** Base class of every error thrown by @shimkit/image-store. */
export class ImageStoreError extends Error {
  override readonly name = 'ImageStoreError';
  readonly code: ImageStoreErrorCode;
  /** HTTP status of the registry response that caused it, if any. */
  readonly status?: number;
  /** The registry's own error code (`MANIFEST_UNKNOWN`, `DENIED`, ...), if it sent one. */
  readonly registryCode?: string;

  constructor(code: ImageStoreErrorCode, message: string, options?: { cause?: unknown; status?: number; registryCode?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options?.status !== undefined) this.status = options.status;
    if (options?.registryCode !== undefined) this.registryCode = options.registryCode;
  }
}

/** True when `e` is an ImageStoreError (with the given code, when one is given). */
export function isImageStoreError(e: unknown, code?: ImageStoreErrorCode): e is ImageStoreError {
  if (!(e instanceof Error) || (e as { name?: unknown }).name !== 'ImageStoreError') return false;
  const c = (e as { code?: unknown }).code;
  if (typeof c !== 'string') return false;
  return code === undefined || c === code;
}

/** Turns an aborted signal into an ImageStoreError('ABORTED') carrying the reason. */
export function abortError(signal: AbortSignal, what = 'operation'): ImageStoreError {
  if (isImageStoreError(signal.reason)) return signal.reason;
  return new ImageStoreError('ABORTED', `${what} aborted`, { cause: signal.reason });
}

/** Throws ImageStoreError('ABORTED') when the signal is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, what?: string): void {
  if (signal?.aborted) throw abortError(signal, what);
}

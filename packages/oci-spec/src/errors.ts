/** Every error code an {@link OciSpecError} can carry. */
export type OciSpecErrorCode =
  | 'INVALID_DIGEST'
  | 'UNSUPPORTED_DIGEST_ALGORITHM'
  | 'DIGEST_MISMATCH'
  | 'SIZE_MISMATCH'
  | 'INVALID_MEDIA_TYPE'
  | 'INVALID_REFERENCE'
  | 'INVALID_PLATFORM'
  | 'NO_MATCHING_MANIFEST'
  | 'INVALID_RUNTIME_SPEC'
  | 'INVALID_IMAGE_MANIFEST'
  | 'INVALID_IMAGE_INDEX'
  | 'INVALID_IMAGE_CONFIG'
  | 'INVALID_IMAGE_LAYOUT'
  | 'INVALID_JSON'
  | 'INVALID_ARGUMENT'
  | 'UNKNOWN_USER'
  | 'UNKNOWN_GROUP'
  | 'ROOTFS_READ_FAILED'
  | 'NO_COMMAND';

/** Options accepted by the {@link OciSpecError} constructor. */
export interface OciSpecErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown;
}

/** The one error class thrown by `@shimkit/oci-spec`; check {@link OciSpecError.code} to tell failures apart. */
export class OciSpecError extends Error {
  /** Machine-readable reason for the failure. */
  readonly code: OciSpecErrorCode;

  constructor(code: OciSpecErrorCode, message: string, options: OciSpecErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OciSpecError';
    this.code = code;
  }
}

/**
 * True when `e` is an {@link OciSpecError} (and, if given, has the given code).
 * Checks the `name` and `code` fields too, so errors from a second copy of this package are recognised.
 */
export function isOciSpecError(e: unknown, code?: OciSpecErrorCode): e is OciSpecError {
  if (!(e instanceof Error)) return false;
  const candidate = e as Error & { code?: unknown };
  if (!(e instanceof OciSpecError) && candidate.name !== 'OciSpecError') return false;
  if (typeof candidate.code !== 'string') return false;
  return code === undefined || candidate.code === code;
}

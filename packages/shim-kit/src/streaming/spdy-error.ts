import { ShimError, isShimError } from '../errors.js';

/** Why a SPDY operation failed. */
export type SpdyErrorReason =
  /** A frame's bytes do not follow the SPDY/3.1 layout (wrong length, reserved values). */
  | 'MalformedFrame'
  /** A control frame carries a version other than 3. */
  | 'UnsupportedVersion'
  /** A frame is longer than the configured limit. */
  | 'FrameTooLarge'
  /** A name/value header block is invalid (truncated, empty or duplicate name, too large once inflated). */
  | 'MalformedHeaderBlock'
  /** zlib failed to compress or decompress a header block. */
  | 'CompressionFailed'
  /** Data was written to a stream that is already reset or closed. */
  | 'StreamClosed'
  /** The session's socket is closed. */
  | 'ConnectionClosed';

const peerFault = new Set<SpdyErrorReason>(['MalformedFrame', 'UnsupportedVersion', 'FrameTooLarge', 'MalformedHeaderBlock']);

/** A SPDY/3.1 protocol failure; `reason` says what was wrong. Its shimkit `code` is `InvalidArgument` for bad peer input, else `Internal`. */
export class SpdyError extends ShimError {
  readonly reason: SpdyErrorReason;

  constructor(reason: SpdyErrorReason, message: string, options: { cause?: unknown } = {}) {
    super(peerFault.has(reason) ? 'InvalidArgument' : 'Internal', message, options);
    this.reason = reason;
  }
}

/** Whether `e` is a {@link SpdyError}, optionally with the given reason (checked by field, not only by class). */
export function isSpdyError(e: unknown, reason?: SpdyErrorReason): e is SpdyError {
  if (!isShimError(e) || typeof (e as Partial<SpdyError>).reason !== 'string') return false;
  const r = (e as SpdyError).reason;
  const known: readonly string[] = ['MalformedFrame', 'UnsupportedVersion', 'FrameTooLarge', 'MalformedHeaderBlock', 'CompressionFailed', 'StreamClosed', 'ConnectionClosed'];
  return known.includes(r) && (reason === undefined || r === reason);
}

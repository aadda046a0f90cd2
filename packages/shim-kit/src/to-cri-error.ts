import { CriError, isCriError, type CriErrorCode } from '@shimkit/cri-types';
import { isShimError, type ShimErrorCode } from './errors.js';

// Apart from errors.ts, so that what throws ShimError does not load the gRPC stack (the CLI's
// engine commands start in a fraction of the time).
const statusOf: Partial<Record<ShimErrorCode, CriErrorCode>> = { CorruptState: 'Internal', MissingModule: 'FailedPrecondition' };

/**
 * The error a handler answers with: a `CriError` passes through, a `ShimError` keeps its
 * code, an abort becomes `Cancelled` (or the abort reason when that is a `CriError`), and
 * anything else becomes `Unknown` with its message.
 */
export function toCriError(e: unknown): CriError {
  if (isCriError(e)) return e;
  if (isShimError(e)) return new CriError(statusOf[e.code] ?? (e.code as CriErrorCode), e.message, { cause: e });
  if (e instanceof Error && e.name === 'AbortError') {
    return isCriError(e.cause) ? e.cause : new CriError('Cancelled', e.message, { cause: e });
  }
  return new CriError('Unknown', e instanceof Error ? e.message : String(e), { cause: e });
}

import { SystemCallError } from '@shimkit/host-helper';
import { ImageStoreError, type ImageStoreErrorCode } from './errors.js';

/**
 * An ImageStoreError for a failed host helper call: the kernel's refusal (whose message
 * already names the call and its path) or the helper's own failure, prefixed with `what`.
 */
export function systemCallFailure(code: ImageStoreErrorCode, what: string, e: unknown): ImageStoreError {
  const message = e instanceof SystemCallError ? e.message : `${what}: ${(e as Error).message}`;
  return new ImageStoreError(code, message, { cause: e });
}

/** Runs a host helper call, its failure turned into an ImageStoreError with `code`. */
export async function systemCall(code: ImageStoreErrorCode, what: string, call: () => Promise<void>): Promise<void> {
  try {
    await call();
  } catch (e) {
    throw systemCallFailure(code, what, e);
  }
}

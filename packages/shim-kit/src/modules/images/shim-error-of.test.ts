import { ImageStoreError } from '@shimkit/image-store';
import { describe, expect, it } from 'vitest';
import { isShimError, ShimError } from '../../errors.js';
import { shimErrorOf } from './shim-error-of.js';

describe('shimErrorOf', () => {
  it('maps image-store codes to the gRPC status kubelet expects, keeping the cause', () => {
    const cases = [
      ['REGISTRY_UNAUTHORIZED', 'Unauthenticated'],
      ['REGISTRY_DENIED', 'PermissionDenied'],
      ['REGISTRY_NOT_FOUND', 'NotFound'],
      ['INVALID_ARGUMENT', 'InvalidArgument'],
      ['REGISTRY_NETWORK', 'Unavailable'],
      ['PROGRESS_TIMEOUT', 'DeadlineExceeded'],
      ['ABORTED', 'Cancelled'],
      ['DIGEST_MISMATCH', 'Internal'],
    ] as const;
    for (const [from, to] of cases) {
      const cause = new ImageStoreError(from, 'boom');
      const mapped = shimErrorOf(cause, 'pulling image x');
      expect(isShimError(mapped, to)).toBe(true);
      expect((mapped as ShimError).message).toBe('pulling image x: boom');
      expect((mapped as ShimError).cause).toBe(cause);
    }
  });

  it('passes ShimErrors and aborts through and wraps anything else as Internal', () => {
    const shim = new ShimError('NotFound', 'gone');
    expect(shimErrorOf(shim, 'x')).toBe(shim);
    const abort = new DOMException('aborted', 'AbortError');
    expect(shimErrorOf(abort, 'x')).toBe(abort);
    expect(isShimError(shimErrorOf(new Error('odd'), 'x'), 'Internal')).toBe(true);
  });
});

import { isImageStoreError } from '@shimkit/image-store';
import { formatImageReference, parseImageReference } from '@shimkit/oci-spec';
import { ShimError, isShimError } from '../errors.js';

/** A user's image name in its full form (`busybox` -> `docker.io/library/busybox:latest`). */
export function normalizeImage(ref: string): string {
  try {
    return formatImageReference(parseImageReference(ref));
  } catch (e) {
    throw new ShimError('InvalidArgument', `invalid image name ${JSON.stringify(ref)}: ${(e as Error).message}`, { cause: e });
  }
}

/** A failed pull of `ref` as the engine reports it: NotFound for an unknown image, else Unavailable. */
export function pullFailure(ref: string, e: unknown): ShimError {
  if (isShimError(e)) return e;
  const why = e instanceof Error ? e.message : String(e);
  if (isImageStoreError(e, 'NOT_FOUND') || isImageStoreError(e, 'REGISTRY_NOT_FOUND')) return new ShimError('NotFound', `${ref}: image not known (${why})`, { cause: e });
  return new ShimError('Unavailable', `pulling ${ref}: ${why}`, { cause: e });
}

import type { ImageFilter } from '@shimkit/cri-types';
import type { ImageRecord } from '../interfaces/image-backend.js';
import type { ShimServices } from '../shim/shim-services.js';

/** Images matching a ListImages filter (the image a name or id resolves to), or all. */
export async function filterImages(shim: ShimServices, filter: ImageFilter | undefined, signal?: AbortSignal): Promise<ImageRecord[]> {
  const ref = filter?.image?.image ?? '';
  const options = signal === undefined ? {} : { signal };
  if (ref === '') return shim.images.list(options);
  const image = await shim.images.status(ref, options);
  return image === undefined ? [] : [image];
}

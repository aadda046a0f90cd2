import type { RemoveImageRequest, RemoveImageResponse } from '@shimkit/cri-types';
import type { ShimHandler } from './handler.js';
import { required, requiredString } from './support.js';

/** RemoveImage by name or id; succeeds for an image already gone. */
export const removeImage: ShimHandler<RemoveImageRequest, RemoveImageResponse> = async (shim, request, ctx) => {
  await shim.images.remove(requiredString(required(request.image, 'image').image, 'image.image'), { signal: ctx.signal });
  return {};
};

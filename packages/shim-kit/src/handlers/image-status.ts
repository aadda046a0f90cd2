import type { ImageStatusRequest, ImageStatusResponse } from '@shimkit/cri-types';
import { toImage } from '../convert/to-cri-image.js';
import type { ShimHandler } from './handler.js';
import { required, requiredString } from './support.js';

/** ImageStatus: the image, or no image (not an error) when it is not present. */
export const imageStatus: ShimHandler<ImageStatusRequest, ImageStatusResponse> = async (shim, request, ctx) => {
  const ref = requiredString(required(request.image, 'image').image, 'image.image');
  const image = await shim.images.status(ref, { signal: ctx.signal });
  return {
    image: image === undefined ? undefined : toImage(image),
    info: request.verbose && image !== undefined ? { info: JSON.stringify({ config: image.config }) } : {},
  };
};

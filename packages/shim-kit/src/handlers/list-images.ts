import type { ListImagesRequest, ListImagesResponse } from '@shimkit/cri-types';
import { filterImages } from '../convert/filter-images.js';
import { toImage } from '../convert/to-cri-image.js';
import type { ShimHandler } from './handler.js';

/** ListImages, optionally only the image a filter names. */
export const listImages: ShimHandler<ListImagesRequest, ListImagesResponse> = async (shim, request, ctx) => ({
  images: (await filterImages(shim, request.filter, ctx.signal)).map(toImage),
});

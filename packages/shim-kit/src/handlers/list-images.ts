import type { ListImagesRequest, ListImagesResponse } from '@shimkit/cri-types';
import { filterImages } from '../cri/filter-images.js';
import { toImage } from '../cri/to-cri-image.js';
import type { ShimHandler } from './handler.js';

/** ListImages, optionally only the image a filter names. */
export const listImages: ShimHandler<ListImagesRequest, ListImagesResponse> = async (shim, request, ctx) => ({
  images: (await filterImages(shim, request.filter, ctx.signal)).map(toImage),
});

import type { StreamImagesRequest, StreamImagesResponse } from '@shimkit/cri-types';
import { filterImages } from '../cri/filter-images.js';
import { toImage } from '../cri/to-cri-image.js';
import type { ShimStreamHandler } from './handler.js';
import { chunks } from './support.js';

/** StreamImages: ListImages in chunks. */
export const streamImages: ShimStreamHandler<StreamImagesRequest, StreamImagesResponse> = async function* (shim, request, ctx) {
  for (const chunk of chunks(await filterImages(shim, request.filter, ctx.signal), shim.config.streamChunkSize)) {
    yield { images: chunk.map(toImage) };
  }
};

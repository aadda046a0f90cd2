import type { StreamImagesRequest, StreamImagesResponse } from '@shimkit/cri-types';
import { filterImages } from '../convert/filter-images.js';
import { toImage } from '../convert/to-cri-image.js';
import type { ShimStreamHandler } from './handler.js';
import { chunks } from './support.js';

/** StreamImages: ListImages in chunks. */
export const streamImages: ShimStreamHandler<StreamImagesRequest, StreamImagesResponse> = async function* (shim, request, ctx) {
  for (const chunk of chunks(await filterImages(shim, request.filter, ctx.signal), shim.config.streamChunkSize)) {
    yield { images: chunk.map(toImage) };
  }
};

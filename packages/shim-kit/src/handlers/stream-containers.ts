import type { StreamContainersRequest, StreamContainersResponse } from '@shimkit/cri-types';
import type { ShimStreamHandler } from './handler.js';
import { chunks, filterContainers, toContainer } from './support.js';

/** StreamContainers: ListContainers in chunks. */
export const streamContainers: ShimStreamHandler<StreamContainersRequest, StreamContainersResponse> = async function* (shim, request) {
  for (const chunk of chunks(filterContainers(shim, request.filter), shim.config.streamChunkSize)) {
    yield { containers: chunk.map(toContainer) };
  }
};

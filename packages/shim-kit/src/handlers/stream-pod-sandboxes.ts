import type { StreamPodSandboxesRequest, StreamPodSandboxesResponse } from '@shimkit/cri-types';
import type { ShimStreamHandler } from './handler.js';
import { chunks, filterSandboxes, toPodSandbox } from './support.js';

/** StreamPodSandboxes: ListPodSandbox in chunks. */
export const streamPodSandboxes: ShimStreamHandler<StreamPodSandboxesRequest, StreamPodSandboxesResponse> = async function* (shim, request) {
  for (const chunk of chunks(filterSandboxes(shim, request.filter), shim.config.streamChunkSize)) {
    yield { podSandboxes: chunk.map(toPodSandbox) };
  }
};

import type { StreamPodSandboxStatsRequest, StreamPodSandboxStatsResponse } from '@shimkit/cri-types';
import { sandboxStats } from '../stats/container-stats.js';
import type { ShimStreamHandler } from './handler.js';
import { chunks, filterSandboxes } from './support.js';

/** StreamPodSandboxStats: ListPodSandboxStats in chunks. */
export const streamPodSandboxStats: ShimStreamHandler<StreamPodSandboxStatsRequest, StreamPodSandboxStatsResponse> = async function* (shim, request, ctx) {
  for (const chunk of chunks(filterSandboxes(shim, request.filter), shim.config.streamChunkSize)) {
    yield { podSandboxStats: await sandboxStats(shim, chunk, ctx.signal) };
  }
};

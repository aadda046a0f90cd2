import type { StreamContainerStatsRequest, StreamContainerStatsResponse } from '@shimkit/cri-types';
import { containerStats } from '../stats/container-stats.js';
import type { ShimStreamHandler } from './handler.js';
import { chunks, filterContainers } from './support.js';

/** StreamContainerStats: ListContainerStats in chunks. */
export const streamContainerStats: ShimStreamHandler<StreamContainerStatsRequest, StreamContainerStatsResponse> = async function* (shim, request, ctx) {
  for (const chunk of chunks(filterContainers(shim, request.filter), shim.config.streamChunkSize)) {
    yield { containerStats: await Promise.all(chunk.map((c) => containerStats(shim, c, ctx.signal))) };
  }
};

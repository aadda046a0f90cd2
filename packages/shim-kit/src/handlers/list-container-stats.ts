import type { ListContainerStatsRequest, ListContainerStatsResponse } from '@shimkit/cri-types';
import { containerStats } from '../stats/container-stats.js';
import type { ShimHandler } from './handler.js';
import { filterContainers } from './support.js';

/** ListContainerStats with the id, sandbox and label filters. */
export const listContainerStats: ShimHandler<ListContainerStatsRequest, ListContainerStatsResponse> = async (shim, request, ctx) => ({
  stats: await Promise.all(filterContainers(shim, request.filter).map((c) => containerStats(shim, c, ctx.signal))),
});

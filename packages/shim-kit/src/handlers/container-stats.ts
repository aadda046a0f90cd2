import type { ContainerStatsRequest, ContainerStatsResponse } from '@shimkit/cri-types';
import { containerStats as statsOf } from '../stats/container-stats.js';
import type { ShimHandler } from './handler.js';
import { findContainer } from './support.js';

/** ContainerStats: CPU and memory from the backend. */
export const containerStats: ShimHandler<ContainerStatsRequest, ContainerStatsResponse> = async (shim, request, ctx) => ({
  stats: await statsOf(shim, findContainer(shim, request.containerId), ctx.signal),
});

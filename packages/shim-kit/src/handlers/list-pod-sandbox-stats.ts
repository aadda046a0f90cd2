import type { ListPodSandboxStatsRequest, ListPodSandboxStatsResponse } from '@shimkit/cri-types';
import { sandboxStats } from '../stats/container-stats.js';
import type { ShimHandler } from './handler.js';
import { filterSandboxes } from './support.js';

/** ListPodSandboxStats with the id and label filters. */
export const listPodSandboxStats: ShimHandler<ListPodSandboxStatsRequest, ListPodSandboxStatsResponse> = async (shim, request, ctx) => ({
  stats: await sandboxStats(shim, filterSandboxes(shim, request.filter), ctx.signal),
});

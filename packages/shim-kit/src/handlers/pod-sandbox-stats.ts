import type { PodSandboxStatsRequest, PodSandboxStatsResponse } from '@shimkit/cri-types';
import { sandboxStats } from '../stats/container-stats.js';
import type { ShimHandler } from './handler.js';
import { findSandbox } from './support.js';

/** PodSandboxStats: the pod's containers and their sums. */
export const podSandboxStats: ShimHandler<PodSandboxStatsRequest, PodSandboxStatsResponse> = async (shim, request, ctx) => ({
  stats: (await sandboxStats(shim, [findSandbox(shim, request.podSandboxId)], ctx.signal))[0],
});

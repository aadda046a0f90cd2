import type { StreamPodSandboxMetricsRequest, StreamPodSandboxMetricsResponse } from '@shimkit/cri-types';
import { listPodSandboxMetrics } from '../stats/pod-metrics.js';
import type { ShimStreamHandler } from './handler.js';
import { chunks } from './support.js';

/** StreamPodSandboxMetrics: ListPodSandboxMetrics in chunks. */
export const streamPodSandboxMetrics: ShimStreamHandler<StreamPodSandboxMetricsRequest, StreamPodSandboxMetricsResponse> = async function* (shim, _request, ctx) {
  for (const chunk of chunks(await listPodSandboxMetrics(shim, ctx.signal), shim.config.streamChunkSize)) yield { podSandboxMetrics: chunk };
};

import type { StreamPodSandboxMetricsRequest, StreamPodSandboxMetricsResponse } from '@shimkit/cri-types';
import type { ShimStreamHandler } from './handler.js';

/** StreamPodSandboxMetrics: no metrics are offered, so the stream ends at once. */
export const streamPodSandboxMetrics: ShimStreamHandler<StreamPodSandboxMetricsRequest, StreamPodSandboxMetricsResponse> = async function* () {};

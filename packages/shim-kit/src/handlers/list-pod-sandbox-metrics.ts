import type { ListPodSandboxMetricsRequest, ListPodSandboxMetricsResponse } from '@shimkit/cri-types';
import { listPodSandboxMetrics as podMetrics } from '../stats/pod-metrics.js';
import type { ShimHandler } from './handler.js';

/** ListPodSandboxMetrics: container and pod network metrics of every ready pod (what kubelet serves as /metrics/cadvisor). */
export const listPodSandboxMetrics: ShimHandler<ListPodSandboxMetricsRequest, ListPodSandboxMetricsResponse> = async (shim, _request, ctx) => ({
  podMetrics: await podMetrics(shim, ctx.signal),
});

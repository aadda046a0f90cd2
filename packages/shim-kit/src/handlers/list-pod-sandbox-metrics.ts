import type { ListPodSandboxMetricsRequest, ListPodSandboxMetricsResponse } from '@shimkit/cri-types';
import type { ShimHandler } from './handler.js';

/** ListPodSandboxMetrics: no metrics are offered (see ListMetricDescriptors). */
export const listPodSandboxMetrics: ShimHandler<ListPodSandboxMetricsRequest, ListPodSandboxMetricsResponse> = async () => ({ podMetrics: [] });

import type { ListMetricDescriptorsRequest, ListMetricDescriptorsResponse } from '@shimkit/cri-types';
import { metricDescriptors } from '../stats/metric-descriptors.js';
import type { ShimHandler } from './handler.js';

/** ListMetricDescriptors: the cAdvisor-named metrics ListPodSandboxMetrics returns (kubelet reads them once, at start). */
export const listMetricDescriptors: ShimHandler<ListMetricDescriptorsRequest, ListMetricDescriptorsResponse> = async () => ({ descriptors: metricDescriptors() });

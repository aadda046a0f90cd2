import type { ListMetricDescriptorsRequest, ListMetricDescriptorsResponse } from '@shimkit/cri-types';
import type { ShimHandler } from './handler.js';

/** ListMetricDescriptors: shimkit offers no CRI metrics (kubelet then uses the stats RPCs). */
export const listMetricDescriptors: ShimHandler<ListMetricDescriptorsRequest, ListMetricDescriptorsResponse> = async () => ({ descriptors: [] });

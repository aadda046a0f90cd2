import type { UpdateRuntimeConfigRequest, UpdateRuntimeConfigResponse } from '@shimkit/cri-types';
import type { ShimHandler } from './handler.js';

/** UpdateRuntimeConfig: kubelet's pod CIDR is logged; pod addresses come from the PodNetwork's own configuration. */
export const updateRuntimeConfig: ShimHandler<UpdateRuntimeConfigRequest, UpdateRuntimeConfigResponse> = async (shim, request) => {
  const podCidr = request.runtimeConfig?.networkConfig?.podCidr ?? '';
  if (podCidr !== '') shim.logger.info('kubelet reported the pod CIDR', { podCidr });
  return {};
};

import type { UpdateContainerResourcesRequest, UpdateContainerResourcesResponse } from '@shimkit/cri-types';
import { ociResources } from '../spec/linux-resources.js';
import { ShimError } from '../errors.js';
import type { ShimHandler } from './handler.js';
import { findContainer } from './support.js';

/** UpdateContainerResources: new cgroup limits for a created or running container, remembered for ContainerStatus. */
export const updateContainerResources: ShimHandler<UpdateContainerResourcesRequest, UpdateContainerResourcesResponse> = async (shim, request, ctx) => {
  const record = findContainer(shim, request.containerId);
  if (record.state === 'exited' || record.state === 'unknown') {
    throw new ShimError('FailedPrecondition', `container "${record.id}" is ${record.state}; its resources cannot change`);
  }
  const linux = request.linux;
  if (linux === undefined) return {};
  await shim.runtime.updateResources(record.id, ociResources(linux), { signal: ctx.signal });
  await shim.containers.update(record.id, (c) => ({
    ...c,
    config: { ...c.config, linux: { securityContext: c.config.linux?.securityContext, resources: { ...linux, oomScoreAdj: c.config.linux?.resources?.oomScoreAdj ?? linux.oomScoreAdj } } },
  }));
  return {};
};

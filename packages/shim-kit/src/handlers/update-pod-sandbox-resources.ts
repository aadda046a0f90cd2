import type { UpdatePodSandboxResourcesRequest, UpdatePodSandboxResourcesResponse } from '@shimkit/cri-types';
import type { SandboxResources } from '../interfaces/sandbox-record.js';
import type { ShimHandler } from './handler.js';
import { findSandbox } from './support.js';

/**
 * UpdatePodSandboxResources: kubelet reports a pod's new overhead and resources after an
 * in-place resize. kubelet resizes the pod cgroup itself, so, as containerd and CRI-O do
 * (they pass it on to NRI plugins), the shim only records it on the sandbox.
 */
export const updatePodSandboxResources: ShimHandler<UpdatePodSandboxResourcesRequest, UpdatePodSandboxResourcesResponse> = async (shim, request, ctx) => {
  const record = findSandbox(shim, request.podSandboxId);
  const resources: SandboxResources = {
    ...(request.overhead === undefined ? {} : { overhead: request.overhead }),
    ...(request.resources === undefined ? {} : { resources: request.resources }),
  };
  await shim.sandboxes.update(record.id, (s) => ({ ...s, resources }), { signal: ctx.signal });
  return {};
};

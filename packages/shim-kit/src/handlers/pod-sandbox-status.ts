import type { PodSandboxStatusRequest, PodSandboxStatusResponse } from '@shimkit/cri-types';
import type { ShimHandler } from './handler.js';
import { findSandbox, toContainerStatus, toPodSandboxStatus } from './support.js';

/** PodSandboxStatus, from the store; verbose adds the namespaces and netns as JSON `info`. */
export const podSandboxStatus: ShimHandler<PodSandboxStatusRequest, PodSandboxStatusResponse> = async (shim, request) => {
  const sandbox = findSandbox(shim, request.podSandboxId);
  const containers = shim.containers.list().filter((c) => c.sandboxId === sandbox.id);
  return {
    status: toPodSandboxStatus(sandbox),
    containersStatuses: containers.map(toContainerStatus),
    timestamp: shim.clock.nowNs(),
    info: request.verbose
      ? { info: JSON.stringify({ netnsPath: sandbox.netnsPath ?? null, namespaces: sandbox.info.namespaces, pid: sandbox.info.pid ?? null }) }
      : {},
  };
};

import type { ContainerStatusRequest, ContainerStatusResponse } from '@shimkit/cri-types';
import type { ShimHandler } from './handler.js';
import { findContainer, toContainerStatus } from './support.js';

/** ContainerStatus, from the store; verbose adds sandbox id, rootfs and stop signal as JSON `info`. */
export const containerStatus: ShimHandler<ContainerStatusRequest, ContainerStatusResponse> = async (shim, request) => {
  const record = findContainer(shim, request.containerId);
  return {
    status: toContainerStatus(record),
    info: request.verbose ? { info: JSON.stringify({ sandboxId: record.sandboxId, name: record.name, rootfs: record.rootfs, stopSignal: record.stopSignal }) } : {},
  };
};

import { ContainerEventResponse, type ContainerEventType } from '@shimkit/cri-types';
import type { ShimServices } from '../shim/shim-services.js';
import { toContainerStatus, toPodSandboxStatus } from '../convert/to-cri.js';

/**
 * Publishes a container lifecycle event with the pod's status and its containers' statuses
 * as they are now (what kubelet's evented PLEG reads).
 */
export function publishContainerEvent(shim: ShimServices, containerId: string, sandboxId: string, type: ContainerEventType): void {
  const sandbox = shim.sandboxes.get(sandboxId);
  const statuses = shim.containers
    .list()
    .filter((c) => c.sandboxId === sandboxId)
    .map(toContainerStatus);
  shim.events.publish(
    ContainerEventResponse.fromPartial({
      containerId,
      containerEventType: type,
      createdAt: shim.clock.nowNs(),
      podSandboxStatus: sandbox === undefined ? undefined : toPodSandboxStatus(sandbox),
      containersStatuses: statuses,
    }),
  );
}

import { ContainerEventType } from '@shimkit/cri-types';
import type { ContainerRecord } from '../interfaces/container-record.js';
import type { ShimServices } from '../shim/shim-services.js';
import { publishContainerEvent } from './container-events.js';
import { forgetReleased, wasReleased } from './release-exited.js';
import { stopAndRecord } from './stop-and-record.js';

/** Kills (if needed) and deletes a container, releases its root filesystem (unless its exit did), forgets it and publishes CONTAINER_DELETED. */
export async function removeContainerFully(shim: ShimServices, record: ContainerRecord, signal?: AbortSignal): Promise<void> {
  const signalOption = signal === undefined ? {} : { signal };
  await stopAndRecord(shim, record, { timeoutSeconds: 0, ...signalOption });
  // usually done when the exit was recorded; not for a container that never ran, or after a failed release or a restart
  if (!(await wasReleased(shim, record.id))) {
    await shim.runtime.removeContainer(record.id, signalOption);
    await shim.images.releaseRootfs(record.id, signalOption);
  }
  const deleted = await shim.containers.delete(record.id, signalOption);
  forgetReleased(shim, record.id);
  if (deleted) publishContainerEvent(shim, record.id, record.sandboxId, ContainerEventType.CONTAINER_DELETED_EVENT);
}

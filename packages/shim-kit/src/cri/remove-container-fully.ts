import { ContainerEventType } from '@shimkit/cri-types';
import type { ContainerRecord } from '../interfaces/container-record.js';
import type { ShimServices } from '../shim/shim-services.js';
import { publishContainerEvent } from './container-events.js';
import { stopAndRecord } from './stop-and-record.js';

/** Kills (if needed) and deletes a container, releases its root filesystem, forgets it and publishes CONTAINER_DELETED. */
export async function removeContainerFully(shim: ShimServices, record: ContainerRecord, signal?: AbortSignal): Promise<void> {
  const signalOption = signal === undefined ? {} : { signal };
  await stopAndRecord(shim, record, { timeoutSeconds: 0, ...signalOption });
  await shim.runtime.removeContainer(record.id, signalOption);
  await shim.images.releaseRootfs(record.id, signalOption);
  if (await shim.containers.delete(record.id, signalOption)) {
    publishContainerEvent(shim, record.id, record.sandboxId, ContainerEventType.CONTAINER_DELETED_EVENT);
  }
}

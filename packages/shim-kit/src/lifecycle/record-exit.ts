import { ContainerEventType } from '@shimkit/cri-types';
import { isShimError } from '../errors.js';
import { toUnixNs } from '../interfaces/clock.js';
import type { ContainerExit } from '../interfaces/runtime-backend.js';
import type { ShimServices } from '../shim/shim-services.js';
import { publishContainerEvent } from './container-events.js';
import { releaseExited } from './release-exited.js';

/** kubelet's reasons for a terminated container. */
export function exitReason(exit: Pick<ContainerExit, 'exitCode' | 'oomKilled'>): 'Completed' | 'Error' | 'OOMKilled' {
  if (exit.oomKilled) return 'OOMKilled';
  return exit.exitCode === 0 ? 'Completed' : 'Error';
}

/**
 * Marks a container exited (once: a container already exited keeps its first exit),
 * publishes CONTAINER_STOPPED, then deletes it in the runtime and releases its rootfs
 * ({@link releaseExited}). A container the store no longer has is ignored.
 */
export async function recordExit(shim: ShimServices, exit: ContainerExit, options: { message?: string } = {}): Promise<void> {
  let changed = false;
  try {
    const record = await shim.containers.update(exit.id, (current) => {
      if (current.state === 'exited') return current;
      changed = true;
      return {
        ...current,
        state: 'exited',
        exitCode: exit.exitCode,
        finishedAt: toUnixNs(exit.exitedAt),
        reason: exitReason(exit),
        message: options.message ?? current.message,
      };
    });
    if (changed) publishContainerEvent(shim, record.id, record.sandboxId, ContainerEventType.CONTAINER_STOPPED_EVENT);
    if (changed && exit.oomKilled) shim.metrics.oomKilled();
  } catch (e) {
    if (!isShimError(e, 'NotFound')) throw e;
    return;
  }
  if (changed) await releaseExited(shim, exit.id);
}

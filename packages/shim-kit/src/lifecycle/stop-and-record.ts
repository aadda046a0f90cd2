import { isShimError } from '../errors.js';
import type { ContainerRecord } from '../interfaces/container-record.js';
import type { ShimServices } from '../shim/shim-services.js';
import { recordExit } from './record-exit.js';
import { wasReleased } from './release-exited.js';

/**
 * Stops a container through the backend (stop signal, `timeoutSeconds`, then SIGKILL) and
 * records its exit from the backend's state, so the store is right even if the exit
 * watcher has not reported yet. A container the backend no longer knows is recorded as
 * exited with code 255. Resolves once the exited container is deleted in the runtime and its
 * rootfs released (see {@link recordExit}).
 */
export async function stopAndRecord(
  shim: ShimServices,
  record: ContainerRecord,
  options: { timeoutSeconds: number; signal?: AbortSignal },
): Promise<void> {
  // an exit the exit monitor recorded may still be being released: the stop completes with it
  if (record.state === 'exited') {
    await wasReleased(shim, record.id);
    return;
  }
  const signalOption = options.signal === undefined ? {} : { signal: options.signal };
  try {
    await shim.runtime.stopContainer(record.id, { timeoutSeconds: options.timeoutSeconds, stopSignal: record.stopSignal, ...signalOption });
    const state = await shim.runtime.containerState(record.id, signalOption);
    if (state.status === 'exited') {
      await recordExit(shim, {
        id: record.id,
        exitCode: state.exitCode ?? 255,
        exitedAt: state.exitedAt ?? shim.clock.now(),
        oomKilled: state.oomKilled ?? false,
      });
    }
  } catch (e) {
    if (!isShimError(e, 'NotFound')) throw e;
    await recordExit(shim, { id: record.id, exitCode: 255, exitedAt: shim.clock.now(), oomKilled: false }, { message: 'container is gone from the runtime' });
  }
  await wasReleased(shim, record.id);
}

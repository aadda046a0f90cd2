import type { ShimServices } from '../shim/shim-services.js';

interface ReleaseState {
  inFlight: Map<string, Promise<void>>;
  released: Set<string>;
}

const states = new WeakMap<ShimServices, ReleaseState>();

function stateOf(shim: ShimServices): ReleaseState {
  let state = states.get(shim);
  if (state === undefined) {
    state = { inFlight: new Map(), released: new Set() };
    states.set(shim, state);
  }
  return state;
}

/**
 * Deletes an exited container in the runtime (`runc delete`, its monitor and bundle) and
 * releases its root filesystem as soon as the exit is recorded, as containerd does when it
 * sees a task exit; the store record stays, so ContainerStatus and the log are unchanged and
 * RemoveContainer only forgets the record. Never throws: a failure is logged and
 * RemoveContainer does the work again. One release per container runs at a time.
 */
export function releaseExited(shim: ShimServices, id: string): Promise<void> {
  const state = stateOf(shim);
  const running = state.inFlight.get(id);
  if (running !== undefined) return running;
  const work = (async () => {
    try {
      await shim.runtime.removeContainer(id);
      await shim.images.releaseRootfs(id);
      state.released.add(id);
    } catch (e) {
      shim.logger.warn('releasing an exited container failed; RemoveContainer will retry', { containerId: id, error: String(e) });
    } finally {
      state.inFlight.delete(id);
    }
  })();
  state.inFlight.set(id, work);
  return work;
}

/** Whether the container was released (waits for a release in flight). */
export async function wasReleased(shim: ShimServices, id: string): Promise<boolean> {
  const state = stateOf(shim);
  await state.inFlight.get(id);
  return state.released.has(id);
}

/** Forgets a removed container. */
export function forgetReleased(shim: ShimServices, id: string): void {
  stateOf(shim).released.delete(id);
}

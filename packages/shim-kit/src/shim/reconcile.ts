import { isShimError } from '../errors.js';
import { toUnixNs } from '../interfaces/clock.js';
import { recordExit } from '../lifecycle/record-exit.js';
import type { ShimServices } from './shim-services.js';

/** After a (re)start, marks ready sandboxes whose sandbox is gone or broken in the runtime not ready. */
export async function reconcileSandboxes(shim: ShimServices, signal?: AbortSignal): Promise<void> {
  const options = signal === undefined ? {} : { signal };
  for (const record of shim.sandboxes.list()) {
    if (record.state !== 'ready') continue;
    let state: 'ready' | 'notready';
    try {
      state = await shim.runtime.sandboxState(record.id, options);
    } catch (e) {
      if (!isShimError(e, 'NotFound')) throw e;
      state = 'notready';
    }
    if (state === 'notready') {
      shim.logger.warn('pod sandbox no longer works in the runtime; marked not ready', { sandboxId: record.id });
      await shim.sandboxes.update(record.id, (s) => ({ ...s, state: 'notready' }));
    }
  }
}

/**
 * After a (re)start, brings stored containers in line with the runtime: ones that exited
 * while the shim was down get their real exit code, ones that started get `running`, and
 * ones the runtime no longer knows are recorded as exited with code 255.
 */
export async function reconcileContainers(shim: ShimServices, signal?: AbortSignal): Promise<void> {
  const options = signal === undefined ? {} : { signal };
  for (const record of shim.containers.list()) {
    if (record.state === 'exited') continue;
    try {
      const state = await shim.runtime.containerState(record.id, options);
      if (state.status === 'exited') {
        await recordExit(shim, { id: record.id, exitCode: state.exitCode ?? 255, exitedAt: state.exitedAt ?? shim.clock.now(), oomKilled: state.oomKilled ?? false });
      } else if (state.status === 'running' && record.state !== 'running') {
        const startedAt = state.startedAt === undefined ? shim.clock.nowNs() : toUnixNs(state.startedAt);
        await shim.containers.update(record.id, (c) => ({ ...c, state: 'running', startedAt: c.startedAt || startedAt }));
      }
    } catch (e) {
      if (!isShimError(e, 'NotFound')) throw e;
      await recordExit(shim, { id: record.id, exitCode: 255, exitedAt: shim.clock.now(), oomKilled: false }, { message: 'container is gone from the runtime' });
    }
  }
}

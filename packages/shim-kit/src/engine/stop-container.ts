import { ShimError } from '../errors.js';
import type { EngineContainer } from './engine-container.js';
import { waitForContainerExit, type EngineParts } from './engine-parts.js';
import { STOP_KILL_WAIT_MS, signalContainer } from './signal-container.js';

/**
 * Makes a running container exit: its stop signal, then SIGKILL to all its processes after
 * `timeoutSeconds` (default 10; 0 sends SIGKILL at once). Throws when it outlives the SIGKILL.
 */
export async function stopContainer(parts: EngineParts, c: EngineContainer, options: { timeoutSeconds?: number; signal?: AbortSignal } = {}): Promise<void> {
  const timeout = options.timeoutSeconds ?? 10;
  const gone = async (ms: number): Promise<boolean> => {
    const signal = options.signal ? AbortSignal.any([options.signal, AbortSignal.timeout(ms)]) : AbortSignal.timeout(ms);
    return waitForContainerExit(parts, c, { signal, checkMs: 50 }).then(
      () => true,
      () => false,
    );
  };
  let stopped = false;
  if (timeout > 0) {
    await signalContainer(parts, c, { signal: c.stopSignal });
    stopped = await gone(timeout * 1000);
  }
  if (!stopped) {
    await signalContainer(parts, c, { signal: 'SIGKILL', all: true });
    if (!(await gone(STOP_KILL_WAIT_MS))) throw new ShimError('Internal', `container ${c.name} did not exit ${STOP_KILL_WAIT_MS / 1000} s after SIGKILL`);
  }
}

import { isRuncError, type KillSignal } from '@shimkit/runc-driver';
import { ShimError } from '../errors.js';
import type { EngineContainer } from './engine-container.js';
import type { EngineParts } from './engine-parts.js';

/** How long a container may take to exit after SIGKILL before stop or remove give up. */
export const STOP_KILL_WAIT_MS = 10_000;

/**
 * Sends `signal` (a name with or without SIG, or a number) to the container's process, or with
 * `all` to all of its processes. A container that is gone already is not an error.
 */
export async function signalContainer(parts: EngineParts, c: EngineContainer, options: { signal: string; all?: boolean }): Promise<void> {
  const { signal, all = false } = options;
  await parts.runc.kill(c.id, normalizeSignal(signal), { all }).catch(async (e: unknown) => {
    if (isRuncError(e, 'NOT_FOUND') || isRuncError(e, 'INVALID_STATE')) return;
    if (all) return parts.runc.kill(c.id, normalizeSignal(signal)).catch(() => undefined);
    throw new ShimError('Internal', `cannot signal container ${c.name}: ${(e as Error).message}`, { cause: e });
  });
}

function normalizeSignal(signal: string): KillSignal {
  const s = signal.trim().toUpperCase();
  if (/^\d+$/.test(s)) return s as KillSignal;
  return (s.startsWith('SIG') ? s : `SIG${s}`) as KillSignal;
}

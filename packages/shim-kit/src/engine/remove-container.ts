import { rm } from 'node:fs/promises';
import { ShimError } from '../errors.js';
import { releaseContainer } from './cleanup-container.js';
import type { EngineContainer } from './engine-container.js';
import { waitForContainerExit, type EngineParts } from './engine-parts.js';
import { pruneExitFiles } from './exit-file-retention.js';
import { markPhase } from './phase-marks.js';
import { STOP_KILL_WAIT_MS, signalContainer } from './signal-container.js';

/**
 * Removes a container with its runtime state, network, rootfs, bundle and record. A running one
 * is refused unless `force`, which kills it first. Runs under the engine's lock.
 */
export async function removeContainer(parts: EngineParts, c: EngineContainer, options: { force: boolean }): Promise<void> {
  const view = await parts.records.view(c);
  if (view.status === 'running') {
    if (!options.force) throw new ShimError('FailedPrecondition', `container ${c.name} is running: stop it first or use --force`);
    await signalContainer(parts, c, { signal: 'SIGKILL', all: true });
    await waitForContainerExit(parts, c, { signal: AbortSignal.timeout(STOP_KILL_WAIT_MS), checkMs: 50 }).catch(() => undefined);
  }
  // the runtime's container, the network and the rootfs go at once: none needs the others
  if (view.status === 'running' && (await parts.records.view(c)).status === 'running') throw new ShimError('Internal', `container ${c.name} did not exit after SIGKILL`);
  await Promise.all([releaseContainer(parts, c), parts.openStore().then((store) => store.removeRootfs(c.id))]);
  markPhase('runtime container deleted, rootfs removed');
  // the exit file stays a while, for a `wait` that is about to read it (see exit-file-retention.ts)
  await rm(parts.layout.bundle(c.id), { recursive: true, force: true });
  await parts.records.remove(c.id);
  await pruneExitFiles(parts.layout.exitDir, parts.records);
  markPhase('bundle and record removed, old exit files pruned');
}

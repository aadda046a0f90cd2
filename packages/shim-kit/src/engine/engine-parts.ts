import type { HostHelper } from '@shimkit/host-helper';
import type { ImageStore } from '@shimkit/image-store';
import type { Conmon, ExitStatus, Runc } from '@shimkit/runc-driver';
import { ShimError } from '../errors.js';
import type { ContainerRecords } from './container-records.js';
import type { EngineContainer } from './engine-container.js';
import type { EngineLayout } from './engine-layout.js';
import type { EngineNetwork } from './engine-network.js';
import { waitForExit } from './wait-exit.js';

/**
 * What the engine's operations work with: its dirs, records, runtime, monitor and network, and
 * the image store (opened on first use under the engine's lock). The ContainerEngine owns them.
 */
export interface EngineParts {
  readonly layout: EngineLayout;
  readonly records: ContainerRecords;
  readonly runc: Runc;
  readonly conmon: Conmon;
  readonly network: EngineNetwork;
  readonly helper: HostHelper;
  /** cgroupfs parent of the containers' cgroups. */
  readonly cgroupParent: string;
  openStore(): Promise<ImageStore>;
}

/** The container `ref` names, which must be running. */
export async function findRunning(parts: EngineParts, ref: string): Promise<EngineContainer> {
  const c = await parts.records.find(ref);
  if ((await parts.records.view(c)).status !== 'running') throw notRunning(c);
  return c;
}

export function notRunning(c: EngineContainer): ShimError {
  return new ShimError('FailedPrecondition', `container ${c.name} is not running`);
}

/** Waits for the container's exit file (or its conmon to be gone); rejects when `signal` aborts. */
export async function waitForContainerExit(parts: EngineParts, c: EngineContainer, options: { signal?: AbortSignal; checkMs?: number } = {}): Promise<ExitStatus | undefined> {
  return waitForExit(parts.layout.exitDir, c.id, { ...(c.conmonPid === undefined ? {} : { conmonPid: c.conmonPid }), ...options });
}

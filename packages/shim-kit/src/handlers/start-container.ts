import { ContainerEventType, type StartContainerRequest, type StartContainerResponse } from '@shimkit/cri-types';
import { ShimError } from '../errors.js';
import { toUnixNs } from '../interfaces/clock.js';
import type { ShimHandler } from './handler.js';
import { findContainer, publishContainerEvent } from './support.js';

/** StartContainer: only a created container starts; a failed start leaves it exited with reason StartError. */
export const startContainer: ShimHandler<StartContainerRequest, StartContainerResponse> = async (shim, request, ctx) => {
  const record = findContainer(shim, request.containerId);
  if (record.state !== 'created') throw new ShimError('FailedPrecondition', `container "${record.id}" is ${record.state}, not created`);
  let startedAt: bigint;
  try {
    startedAt = toUnixNs((await shim.runtime.startContainer(record.id, { signal: ctx.signal })).startedAt);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    await shim.containers.update(record.id, (c) => ({ ...c, state: 'exited', exitCode: 128, reason: 'StartError', message, finishedAt: shim.clock.nowNs() }));
    throw e;
  }
  // The exit monitor may have recorded an exit already (a container that ends at once): keep it.
  const updated = await shim.containers.update(record.id, (c) => (c.state === 'created' ? { ...c, state: 'running', startedAt } : { ...c, startedAt }));
  publishContainerEvent(shim, updated.id, updated.sandboxId, ContainerEventType.CONTAINER_STARTED_EVENT);
  return {};
};

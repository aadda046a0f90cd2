import type { StopContainerRequest, StopContainerResponse } from '@shimkit/cri-types';
import { stopAndRecord } from '../lifecycle/stop-and-record.js';
import type { ShimHandler } from './handler.js';
import { byIdOrPrefix, requiredString } from './support.js';

/**
 * StopContainer: the stop signal, `timeout` seconds, then SIGKILL. Idempotent as the CRI asks: an
 * exited container, and one that is gone (unknown id), answer success.
 */
export const stopContainer: ShimHandler<StopContainerRequest, StopContainerResponse> = async (shim, request, ctx) => {
  const record = byIdOrPrefix(shim.containers, requiredString(request.containerId, 'container id'));
  if (record === undefined) return {};
  const timeoutSeconds = request.timeout < 0n ? 0 : Number(request.timeout);
  await stopAndRecord(shim, record, { timeoutSeconds, signal: ctx.signal });
  return {};
};

import type { StopContainerRequest, StopContainerResponse } from '@shimkit/cri-types';
import { stopAndRecord } from '../cri/stop-and-record.js';
import type { ShimHandler } from './handler.js';
import { findContainer } from './support.js';

/** StopContainer: the stop signal, `timeout` seconds, then SIGKILL; idempotent for an exited container. */
export const stopContainer: ShimHandler<StopContainerRequest, StopContainerResponse> = async (shim, request, ctx) => {
  const record = findContainer(shim, request.containerId);
  const timeoutSeconds = request.timeout < 0n ? 0 : Number(request.timeout);
  await stopAndRecord(shim, record, { timeoutSeconds, signal: ctx.signal });
  return {};
};

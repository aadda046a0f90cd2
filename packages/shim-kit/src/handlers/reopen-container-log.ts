import type { ReopenContainerLogRequest, ReopenContainerLogResponse } from '@shimkit/cri-types';
import { ShimError } from '../errors.js';
import type { ShimHandler } from './handler.js';
import { findContainer } from './support.js';

/** ReopenContainerLog: the backend starts a new log file (kubelet rotated the old one); running containers only. */
export const reopenContainerLog: ShimHandler<ReopenContainerLogRequest, ReopenContainerLogResponse> = async (shim, request, ctx) => {
  const record = findContainer(shim, request.containerId);
  if (record.state !== 'running') throw new ShimError('FailedPrecondition', `container "${record.id}" is ${record.state}, not running`);
  if (shim.runtime.reopenContainerLog === undefined) throw new ShimError('Unimplemented', 'this runtime backend cannot reopen container logs');
  await shim.runtime.reopenContainerLog(record.id, { signal: ctx.signal });
  return {};
};

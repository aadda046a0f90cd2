import type { RemoveContainerRequest, RemoveContainerResponse } from '@shimkit/cri-types';
import { removeContainerFully } from '../lifecycle/remove-container-fully.js';
import type { ShimHandler } from './handler.js';
import { byIdOrPrefix, requiredString } from './support.js';

/** RemoveContainer: kills a running container first; succeeds for a container already gone. */
export const removeContainer: ShimHandler<RemoveContainerRequest, RemoveContainerResponse> = async (shim, request, ctx) => {
  requiredString(request.containerId, 'container id');
  const record = byIdOrPrefix(shim.containers, request.containerId);
  if (record !== undefined) await removeContainerFully(shim, record, ctx.signal);
  return {};
};

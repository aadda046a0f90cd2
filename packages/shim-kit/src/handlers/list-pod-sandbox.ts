import type { ListPodSandboxRequest, ListPodSandboxResponse } from '@shimkit/cri-types';
import type { ShimHandler } from './handler.js';
import { filterSandboxes, toPodSandbox } from './support.js';

/** ListPodSandbox with the id, state and label filters, from memory. */
export const listPodSandbox: ShimHandler<ListPodSandboxRequest, ListPodSandboxResponse> = async (shim, request) => ({
  items: filterSandboxes(shim, request.filter).map(toPodSandbox),
});

import type { ListContainersRequest, ListContainersResponse } from '@shimkit/cri-types';
import type { ShimHandler } from './handler.js';
import { filterContainers, toContainer } from './support.js';

/** ListContainers with the id, state, sandbox and label filters, from memory. */
export const listContainers: ShimHandler<ListContainersRequest, ListContainersResponse> = async (shim, request) => ({
  containers: filterContainers(shim, request.filter).map(toContainer),
});

import type { ContainerEventResponse, GetEventsRequest } from '@shimkit/cri-types';
import type { ShimStreamHandler } from './handler.js';

/** GetContainerEvents: every container event from the moment of the call until the client leaves. */
export const getContainerEvents: ShimStreamHandler<GetEventsRequest, ContainerEventResponse> = (shim, _request, ctx) =>
  shim.events.subscribe({ signal: ctx.signal });

import type { PortForwardRequest, PortForwardResponse } from '@shimkit/cri-types';
import { ShimError } from '../errors.js';
import { requireHandlerFeature } from '../lifecycle/handler-features.js';
import type { ShimHandler } from './handler.js';
import { findSandbox } from './support.js';

/**
 * PortForward: answers with a single-use URL of the shim's streaming server, where the client's
 * `portforward.k8s.io` streams reach 127.0.0.1:<port> inside the pod's network namespace (on the
 * host for a host-network pod). Over SPDY the ports come with each stream; a WebSocket client
 * gets the request's ports, as kubelet does.
 */
export const portForward: ShimHandler<PortForwardRequest, PortForwardResponse> = async (shim, request, ctx) => {
  if (request.podSandboxId === '') throw new ShimError('InvalidArgument', 'podSandboxId is required');
  const record = findSandbox(shim, request.podSandboxId);
  if (record.state !== 'ready') throw new ShimError('FailedPrecondition', `pod sandbox "${record.id}" is not ready`);
  await requireHandlerFeature(shim, record.runtimeHandler, 'portForward', { signal: ctx.signal });
  for (const port of request.port) {
    if (!(port >= 1 && port <= 65535)) throw new ShimError('InvalidArgument', `invalid port ${port}: must be 1-65535`);
  }
  return shim.streaming.requestPortForward({
    podSandboxId: record.id,
    ...(record.netnsPath === undefined ? {} : { netnsPath: record.netnsPath }),
  }, request.port);
};

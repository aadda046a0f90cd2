import type { StatusRequest, StatusResponse } from '@shimkit/cri-types';
import type { ShimHandler } from './handler.js';

/**
 * Status: RuntimeReady from the backend, NetworkReady from the PodNetwork, and the runtime handlers
 * with their features. `supplemental_groups_policy` is true: CreateContainer applies Merge and Strict
 * and ContainerStatus reports the resulting `user`.
 */
export const status: ShimHandler<StatusRequest, StatusResponse> = async (shim, request, ctx) => {
  const [runtime, network] = await Promise.all([shim.runtime.info({ signal: ctx.signal }), shim.network.status({ signal: ctx.signal })]);
  return {
    status: {
      conditions: [
        { type: 'RuntimeReady', status: runtime.ready, reason: runtime.ready ? '' : (runtime.reason ?? 'RuntimeNotReady'), message: runtime.message ?? '' },
        { type: 'NetworkReady', status: network.ready, reason: network.ready ? '' : (network.reason ?? 'NetworkNotReady'), message: network.message ?? '' },
      ],
    },
    runtimeHandlers: runtime.handlers.map((h) => ({
      name: h.name,
      features: { recursiveReadOnlyMounts: h.recursiveReadOnlyMounts, userNamespaces: h.userNamespaces },
    })),
    features: { supplementalGroupsPolicy: true, userNamespacesHostNetwork: false, mountOptions: true },
    info: request.verbose ? { runtime: JSON.stringify({ name: runtime.name, version: runtime.version, cgroupDriver: runtime.cgroupDriver }) } : {},
  };
};

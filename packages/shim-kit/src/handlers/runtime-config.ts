import { CgroupDriver, type RuntimeConfigRequest, type RuntimeConfigResponse } from '@shimkit/cri-types';
import type { ShimHandler } from './handler.js';

/** RuntimeConfig: the cgroup driver kubelet must agree with, as the backend reports it. */
export const runtimeConfig: ShimHandler<RuntimeConfigRequest, RuntimeConfigResponse> = async (shim, _request, ctx) => {
  const info = await shim.runtime.info({ signal: ctx.signal });
  return { linux: { cgroupDriver: info.cgroupDriver === 'systemd' ? CgroupDriver.SYSTEMD : CgroupDriver.CGROUPFS } };
};

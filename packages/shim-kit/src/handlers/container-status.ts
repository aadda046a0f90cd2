import { ContainerConfig, type ContainerStatusRequest, type ContainerStatusResponse } from '@shimkit/cri-types';
import type { ShimHandler } from './handler.js';
import { findContainer, toContainerStatus } from './support.js';

/**
 * ContainerStatus, from the store. Verbose adds JSON `info` with what `crictl inspect` users read
 * as with containerd and CRI-O: `sandboxID`, `pid` (0 when not running) and the CRI `config`, and
 * the rootfs and stop signal.
 */
export const containerStatus: ShimHandler<ContainerStatusRequest, ContainerStatusResponse> = async (shim, request, ctx) => {
  const record = findContainer(shim, request.containerId);
  if (!request.verbose) return { status: toContainerStatus(record), info: {} };
  const state = record.state === 'running' ? await shim.runtime.containerState(record.id, { signal: ctx.signal }).catch(() => undefined) : undefined;
  const info = {
    sandboxID: record.sandboxId,
    pid: state?.status === 'running' ? state.pid ?? 0 : 0,
    name: record.name,
    rootfs: record.rootfs,
    stopSignal: record.stopSignal,
    config: ContainerConfig.toJSON(record.config),
  };
  return { status: toContainerStatus(record), info: { info: JSON.stringify(info) } };
};

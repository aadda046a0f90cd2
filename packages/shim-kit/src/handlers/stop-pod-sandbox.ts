import type { StopPodSandboxRequest, StopPodSandboxResponse } from '@shimkit/cri-types';
import { stopAndRecord } from '../cri/stop-and-record.js';
import { teardownNetwork } from '../cri/teardown-network.js';
import type { ShimHandler } from './handler.js';
import { findSandbox } from './support.js';

/** StopPodSandbox: kills the pod's containers, stops the sandbox, tears the network down; idempotent. */
export const stopPodSandbox: ShimHandler<StopPodSandboxRequest, StopPodSandboxResponse> = async (shim, request, ctx) => {
  const sandbox = findSandbox(shim, request.podSandboxId);
  const running = shim.containers.list().filter((c) => c.sandboxId === sandbox.id && c.state !== 'exited');
  await Promise.all(running.map((c) => stopAndRecord(shim, c, { timeoutSeconds: 0, signal: ctx.signal })));
  await shim.runtime.stopSandbox(sandbox.id, { signal: ctx.signal });
  if (sandbox.state !== 'notready') await shim.sandboxes.update(sandbox.id, (s) => ({ ...s, state: 'notready' }));
  await teardownNetwork(shim, findSandbox(shim, sandbox.id), ctx.signal);
  return {};
};

import type { StopPodSandboxRequest, StopPodSandboxResponse } from '@shimkit/cri-types';
import { stopAndRecord } from '../lifecycle/stop-and-record.js';
import { teardownNetwork } from '../lifecycle/teardown-network.js';
import type { ShimHandler } from './handler.js';
import { byIdOrPrefix, findSandbox, requiredString } from './support.js';

/**
 * StopPodSandbox: kills the pod's containers, then stops the sandbox and tears the network down
 * (together). Idempotent as the CRI asks: a stopped pod, and one that is gone (unknown id), answer success.
 */
export const stopPodSandbox: ShimHandler<StopPodSandboxRequest, StopPodSandboxResponse> = async (shim, request, ctx) => {
  const sandbox = byIdOrPrefix(shim.sandboxes, requiredString(request.podSandboxId, 'pod sandbox id'));
  if (sandbox === undefined) return {};
  const running = shim.containers.list().filter((c) => c.sandboxId === sandbox.id && c.state !== 'exited');
  await Promise.all(running.map((c) => stopAndRecord(shim, c, { timeoutSeconds: 0, signal: ctx.signal })));
  // every container is stopped now; the sandbox's pins and the pod network do not depend on each other
  const stopped = (async () => {
    await shim.runtime.stopSandbox(sandbox.id, { signal: ctx.signal });
    if (sandbox.state !== 'notready') await shim.sandboxes.update(sandbox.id, (s) => ({ ...s, state: 'notready' }));
  })();
  const [stop, network] = await Promise.allSettled([stopped, teardownNetwork(shim, findSandbox(shim, sandbox.id), ctx.signal)]);
  if (stop.status === 'rejected') throw stop.reason;
  if (network.status === 'rejected') throw network.reason;
  return {};
};

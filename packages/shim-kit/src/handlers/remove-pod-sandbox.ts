import type { RemovePodSandboxRequest, RemovePodSandboxResponse } from '@shimkit/cri-types';
import { removeContainerFully } from '../lifecycle/remove-container-fully.js';
import { teardownNetwork } from '../lifecycle/teardown-network.js';
import type { ShimHandler } from './handler.js';
import { byIdOrPrefix, requiredString } from './support.js';

/** RemovePodSandbox: kills and removes the pod's containers and the sandbox; succeeds for a sandbox already gone. */
export const removePodSandbox: ShimHandler<RemovePodSandboxRequest, RemovePodSandboxResponse> = async (shim, request, ctx) => {
  requiredString(request.podSandboxId, 'pod sandbox id');
  const sandbox = byIdOrPrefix(shim.sandboxes, request.podSandboxId);
  if (sandbox === undefined) return {};
  for (const c of shim.containers.list().filter((r) => r.sandboxId === sandbox.id)) {
    await removeContainerFully(shim, c, ctx.signal);
  }
  await shim.runtime.stopSandbox(sandbox.id, { signal: ctx.signal });
  await teardownNetwork(shim, sandbox, ctx.signal);
  await shim.runtime.removeSandbox(sandbox.id, { signal: ctx.signal });
  await shim.sandboxes.delete(sandbox.id);
  shim.logger.info('pod sandbox removed', { sandboxId: sandbox.id });
  return {};
};

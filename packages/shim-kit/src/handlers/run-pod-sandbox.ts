import { NamespaceMode, type RunPodSandboxRequest, type RunPodSandboxResponse } from '@shimkit/cri-types';
import { ShimError } from '../errors.js';
import type { PodNetworkAttachment } from '../interfaces/pod-network.js';
import type { SandboxInfo } from '../interfaces/runtime-backend.js';
import { names, newId, podNetworkRequest, required, requiredString } from './support.js';
import type { ShimHandler } from './handler.js';

/** RunPodSandbox: network namespace through the PodNetwork, sandbox through the RuntimeBackend, then the store. */
export const runPodSandbox: ShimHandler<RunPodSandboxRequest, RunPodSandboxResponse> = async (shim, request, ctx) => {
  const config = required(request.config, 'config');
  const metadata = required(config.metadata, 'config.metadata');
  requiredString(metadata.name, 'config.metadata.name');
  const info = await shim.runtime.info({ signal: ctx.signal });
  if (!info.handlers.some((h) => h.name === request.runtimeHandler)) {
    throw new ShimError('InvalidArgument', `runtime handler "${request.runtimeHandler}" is not configured (have: ${info.handlers.map((h) => `"${h.name}"`).join(', ')})`);
  }
  const id = newId();
  const name = names.sandboxName(metadata);
  shim.sandboxes.reserveName(name, id);
  try {
    const hostNetwork = config.linux?.securityContext?.namespaceOptions?.network === NamespaceMode.NODE;
    const netRequest = podNetworkRequest({ id, config });
    let attachment: PodNetworkAttachment | undefined;
    if (!hostNetwork) attachment = await shim.network.setup({ ...netRequest, signal: ctx.signal });
    let sandboxInfo: SandboxInfo;
    try {
      sandboxInfo = await shim.runtime.runSandbox({
        id,
        config,
        runtimeHandler: request.runtimeHandler,
        signal: ctx.signal,
        ...(attachment === undefined ? {} : { netnsPath: attachment.netnsPath }),
      });
    } catch (e) {
      if (attachment !== undefined) {
        await shim.network.teardown({ ...netRequest, netnsPath: attachment.netnsPath }).catch((err: unknown) => {
          shim.logger.warn('network teardown after a failed sandbox start failed', { sandboxId: id, error: String(err) });
        });
      }
      throw e;
    }
    try {
      await shim.sandboxes.add({
        id,
        name,
        state: 'ready',
        createdAt: shim.clock.nowNs(),
        runtimeHandler: request.runtimeHandler,
        config,
        ...(attachment === undefined ? {} : { netnsPath: attachment.netnsPath }),
        ips: attachment?.ips ?? [],
        networkTornDown: attachment === undefined,
        info: sandboxInfo,
      });
    } catch (e) {
      await shim.runtime.stopSandbox(id).then(() => shim.runtime.removeSandbox(id)).catch(() => undefined);
      if (attachment !== undefined) await shim.network.teardown({ ...netRequest, netnsPath: attachment.netnsPath }).catch(() => undefined);
      throw e;
    }
    shim.logger.info('pod sandbox started', { sandboxId: id, name });
    return { podSandboxId: id };
  } finally {
    shim.sandboxes.releaseName(name, id);
  }
};

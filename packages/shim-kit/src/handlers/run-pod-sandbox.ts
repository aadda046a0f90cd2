import { NamespaceMode, type PodSandboxConfig, type RunPodSandboxRequest, type RunPodSandboxResponse } from '@shimkit/cri-types';
import { ShimError } from '../errors.js';
import type { PodNetworkAttachment, PodNetworkRequest } from '../interfaces/pod-network.js';
import type { SandboxInfo } from '../interfaces/runtime-backend.js';
import { podUserNamespace } from '../spec/user-namespace.js';
import { names, newId, podNetworkRequest, required, requiredString } from './support.js';
import type { ShimServices } from '../shim/shim-services.js';
import type { ShimHandler } from './handler.js';

/** RunPodSandbox: network namespace through the PodNetwork, sandbox through the RuntimeBackend, then the store. */
export const runPodSandbox: ShimHandler<RunPodSandboxRequest, RunPodSandboxResponse> = async (shim, request, ctx) => {
  const config = required(request.config, 'config');
  const metadata = required(config.metadata, 'config.metadata');
  requiredString(metadata.name, 'config.metadata.name');
  const userNamespace = podUserNamespace(config);
  const info = await shim.runtime.info({ signal: ctx.signal });
  const handler = info.handlers.find((h) => h.name === request.runtimeHandler);
  if (handler === undefined) {
    throw new ShimError('InvalidArgument', `runtime handler "${request.runtimeHandler}" is not configured (have: ${info.handlers.map((h) => `"${h.name}"`).join(', ')})`);
  }
  if (userNamespace !== undefined && !handler.userNamespaces) {
    throw new ShimError('InvalidArgument', `runtime handler "${request.runtimeHandler}" does not support user namespaces on this host`);
  }
  const id = newId();
  const name = names.sandboxName(metadata);
  shim.sandboxes.reserveName(name, id);
  try {
    const hostNetwork = config.linux?.securityContext?.namespaceOptions?.network === NamespaceMode.NODE;
    const netRequest = podNetworkRequest({ id, config });
    const { attachment, sandboxInfo } = await startSandboxAndNetwork(shim, { id, config, hostNetwork, netRequest, runtimeHandler: request.runtimeHandler, signal: ctx.signal });
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

interface StartOptions {
  id: string;
  config: PodSandboxConfig;
  hostNetwork: boolean;
  netRequest: PodNetworkRequest;
  runtimeHandler: string;
  signal: AbortSignal | undefined;
}

/** Sets up the pod network and the sandbox (in parallel when the backend allows it); on failure undoes whichever part succeeded. */
async function startSandboxAndNetwork(shim: ShimServices, options: StartOptions): Promise<{ attachment: PodNetworkAttachment | undefined; sandboxInfo: SandboxInfo }> {
  const { id, config, netRequest, signal } = options;
  const runSandbox = (netnsPath: string | undefined, usernsPath?: string): Promise<SandboxInfo> =>
    shim.runtime.runSandbox({ id, config, runtimeHandler: options.runtimeHandler, signal, ...(netnsPath === undefined ? {} : { netnsPath }), ...(usernsPath === undefined ? {} : { usernsPath }) });
  const undoNetwork = async (attachment: PodNetworkAttachment): Promise<void> => {
    await shim.network.teardown({ ...netRequest, netnsPath: attachment.netnsPath }).catch((err: unknown) => {
      shim.logger.warn('network teardown after a failed sandbox start failed', { sandboxId: id, error: String(err) });
    });
  };
  if (options.hostNetwork) return { attachment: undefined, sandboxInfo: await runSandbox(undefined) };
  // a pod's own user namespace comes with its network namespace: the sandbox's namespaces belong to it
  if (netRequest.userNamespace !== undefined || (shim.runtime.sandboxNeedsNetns?.(config, options.runtimeHandler) ?? true)) {
    const attachment = await shim.network.setup({ ...netRequest, signal });
    try {
      return { attachment, sandboxInfo: await runSandbox(attachment.netnsPath, attachment.usernsPath) };
    } catch (e) {
      await undoNetwork(attachment);
      throw e;
    }
  }
  const [network, sandbox] = await Promise.allSettled([shim.network.setup({ ...netRequest, signal }), runSandbox(undefined)]);
  if (network.status === 'fulfilled' && sandbox.status === 'fulfilled') {
    const sandboxInfo = sandbox.value;
    sandboxInfo.namespaces = { ...sandboxInfo.namespaces, network: sandboxInfo.namespaces.network ?? network.value.netnsPath };
    return { attachment: network.value, sandboxInfo };
  }
  if (sandbox.status === 'fulfilled') {
    await shim.runtime
      .stopSandbox(id)
      .then(() => shim.runtime.removeSandbox(id))
      .catch((err: unknown) => {
        shim.logger.warn('sandbox removal after a failed network setup failed', { sandboxId: id, error: String(err) });
      });
  }
  if (network.status === 'fulfilled') await undoNetwork(network.value);
  // the network's error first, as the sequential order (network, then sandbox) would report it
  throw network.status === 'rejected' ? network.reason : (sandbox as PromiseRejectedResult).reason;
}

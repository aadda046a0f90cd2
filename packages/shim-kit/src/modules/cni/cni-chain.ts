import { compareCniVersions, type CniNetworkList } from './cni-config.js';
import { execPlugin, type CniInvocation, type ExecPluginOptions } from './cni-exec.js';
import { pluginInput } from './cni-plugin-input.js';

/** A network list applied to one container. */
export interface ChainCall extends CniInvocation, ExecPluginOptions {
  list: CniNetworkList;
  capabilityArgs: Readonly<Record<string, unknown>>;
}

/**
 * ADDs the container to the network: each plugin in order, each getting the previous one's
 * result as `prevResult`; stops at the first error. Returns the last plugin's result.
 */
export async function addNetworkList(call: ChainCall): Promise<unknown> {
  let result: unknown;
  for (const plugin of call.list.plugins) {
    result = await execPlugin('ADD', pluginInput(call.list, plugin, { prevResult: result, capabilityArgs: call.capabilityArgs }), call);
  }
  return result;
}

/**
 * DELs the container from the network: every plugin in reverse order with the cached ADD
 * result as `prevResult` (from CNI 0.4.0, as the spec says); stops at the first error.
 */
export async function delNetworkList(call: ChainCall & { prevResult?: unknown }): Promise<void> {
  const prevResult = compareCniVersions(call.list.cniVersion, '0.4.0') >= 0 ? call.prevResult : undefined;
  for (const plugin of [...call.list.plugins].reverse()) {
    await execPlugin('DEL', pluginInput(call.list, plugin, { prevResult, capabilityArgs: call.capabilityArgs }), call);
  }
}

/**
 * CHECKs the container's networking: every plugin in order with the cached ADD result as
 * `prevResult`; stops at the first error. Not called for lists with `disableCheck` or
 * before CNI 0.4.0 (which introduced CHECK): those resolve at once.
 */
export async function checkNetworkList(call: ChainCall & { prevResult: unknown }): Promise<void> {
  if (call.list.disableCheck || compareCniVersions(call.list.cniVersion, '0.4.0') < 0) return;
  for (const plugin of call.list.plugins) {
    await execPlugin('CHECK', pluginInput(call.list, plugin, { prevResult: call.prevResult, capabilityArgs: call.capabilityArgs }), call);
  }
}

import { loadNetworkList } from './cni-config.js';
import { isCniError } from './cni-error.js';
import { lookupPlugin } from './find-plugin.js';

/** NetworkReady as the Status RPC reports it. */
export interface NetworkStatus {
  ready: boolean;
  reason?: string;
  message?: string;
}

/** The reason kubelet sees when the network is not ready (containerd's and CRI-O's). */
export const NETWORK_NOT_READY_REASON = 'NetworkPluginNotReady';

/**
 * Ready when the conf dir holds a valid network configuration and every plugin it needs
 * (each plugin, its IPAM plugin, and `loopback`) is in a bin dir.
 */
export async function networkStatus(confDir: string, binDirs: readonly string[]): Promise<NetworkStatus> {
  const notReady = (message: string): NetworkStatus => ({ ready: false, reason: NETWORK_NOT_READY_REASON, message });
  let list;
  try {
    list = await loadNetworkList(confDir);
  } catch (e) {
    if (!isCniError(e)) throw e;
    return notReady(`cni config load failed: ${e.message}: cni plugin not initialized`);
  }
  const missing = await missingPlugins(['loopback', ...list.plugins.flatMap((p) => (p.ipamType === undefined ? [p.type] : [p.type, p.ipamType]))], binDirs);
  if (missing.length > 0) {
    const names = missing.map((m) => `"${m}"`).join(', ');
    return notReady(`CNI plugin${missing.length > 1 ? 's' : ''} ${names} of network "${list.name}" (${list.file}) not found in ${binDirs.join(', ')}`);
  }
  return { ready: true };
}

/** The plugin types (deduplicated, in order) that no bin dir holds. */
export async function missingPlugins(types: readonly string[], binDirs: readonly string[]): Promise<string[]> {
  const unique = [...new Set(types)];
  const found = await Promise.all(unique.map((t) => lookupPlugin(t, binDirs)));
  return unique.filter((_, i) => found[i] === undefined);
}

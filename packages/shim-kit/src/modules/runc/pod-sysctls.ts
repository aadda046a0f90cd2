import { isIpcSysctl } from '@shimkit/oci-spec';
import { ShimError } from '../../errors.js';

/** A pod sysctl as a /proc/sys path and the namespace it belongs to. */
export interface PodSysctl {
  name: string;
  /** Path under /proc/sys, e.g. `/proc/sys/net/ipv4/ip_forward`. */
  path: string;
  value: string;
  namespace: 'net' | 'ipc';
}

const NAME = /^[a-z0-9_]+([./][a-zA-Z0-9_-]+)*$/;

/**
 * Classifies the pod's sysctls: `net.*` go into the pod's network namespace, the IPC ones
 * (kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*) into its IPC namespace. Names may use
 * dots or slashes (`net/ipv4/conf/eth0.100/forwarding`). Anything else would change the node
 * and is refused, as are namespaced sysctls of a pod that shares the node's namespace.
 */
export function podSysctls(sysctls: Readonly<Record<string, string>>, options: { hostNetwork: boolean; hostIpc: boolean }): PodSysctl[] {
  const out: PodSysctl[] = [];
  for (const [name, value] of Object.entries(sysctls)) {
    if (!NAME.test(name) || name.includes('..')) throw new ShimError('InvalidArgument', `sysctl ${JSON.stringify(name)}: not a valid sysctl name`);
    if (/[\n\0]/.test(value)) throw new ShimError('InvalidArgument', `sysctl ${name}: value must be a single line`);
    const path = `/proc/sys/${name.includes('/') ? name : name.replaceAll('.', '/')}`;
    const dotted = name.replaceAll('/', '.');
    if (dotted.startsWith('net.')) {
      if (options.hostNetwork) throw new ShimError('InvalidArgument', `sysctl ${name}: not allowed for a pod on the host network`);
      out.push({ name, path, value, namespace: 'net' });
    } else if (isIpcSysctl(dotted)) {
      if (options.hostIpc) throw new ShimError('InvalidArgument', `sysctl ${name}: not allowed for a pod in the host IPC namespace`);
      out.push({ name, path, value, namespace: 'ipc' });
    } else {
      throw new ShimError('InvalidArgument', `sysctl ${name}: not a namespaced sysctl (only net.* and IPC ones can be set per pod)`);
    }
  }
  return out;
}

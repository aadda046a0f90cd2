import type { PodNetworkRequest, PodPortMapping } from '../../interfaces/pod-network.js';

// CNI_ARGS is `K=V;K=V`: values must not carry the separators.
const clean = (v: string): string => v.replace(/[;=\s]/g, '');

/**
 * CNI_ARGS for a pod, as kubelet runtimes pass them: the pod's namespace, name, infra
 * container id and uid, with `IgnoreUnknown=1` so plugins that do not know a key ignore it.
 */
export function cniArgs(request: Pick<PodNetworkRequest, 'sandboxId' | 'podName' | 'podNamespace' | 'podUid'>): string {
  return [
    'IgnoreUnknown=1',
    `K8S_POD_NAMESPACE=${clean(request.podNamespace)}`,
    `K8S_POD_NAME=${clean(request.podName)}`,
    `K8S_POD_INFRA_CONTAINER_ID=${clean(request.sandboxId)}`,
    `K8S_POD_UID=${clean(request.podUid)}`,
  ].join(';');
}

/** A port mapping in the `portMappings` capability's format. */
export interface CniPortMapping {
  hostPort: number;
  containerPort: number;
  protocol: string;
  hostIP?: string;
}

/** The capability arguments (`runtimeConfig` values) of a pod: `portMappings` for hostPorts. */
export function capabilityArgs(mappings: readonly PodPortMapping[]): Record<string, unknown> {
  const portMappings: CniPortMapping[] = mappings
    .filter((m) => m.hostPort > 0)
    .map((m) => ({ hostPort: m.hostPort, containerPort: m.containerPort, protocol: m.protocol, ...(m.hostIp === '' ? {} : { hostIP: m.hostIp }) }));
  return portMappings.length === 0 ? {} : { portMappings };
}

import { NamespaceMode, type IDMapping, type PodSandboxConfig } from '@shimkit/cri-types';
import type { RuntimeSpecBuilder } from '@shimkit/oci-spec';
import { ShimError } from '../errors.js';
import type { UserNamespaceMappings } from '../interfaces/pod-network.js';

function single(mappings: readonly IDMapping[], kind: 'uids' | 'gids'): IDMapping {
  if (mappings.length !== 1) throw new ShimError('InvalidArgument', `user namespace: exactly one ${kind} mapping is supported, got ${mappings.length}`);
  const [mapping] = mappings as [IDMapping];
  if (mapping.containerId !== 0) throw new ShimError('InvalidArgument', `user namespace: ${kind} mapping must map container id 0 (it starts at ${mapping.containerId})`);
  if (mapping.length <= 0) throw new ShimError('InvalidArgument', `user namespace: ${kind} mapping has length ${mapping.length}`);
  return mapping;
}

/**
 * The pod's own user namespace, when its security context asks for one (mode POD, with the
 * mappings kubelet chose); undefined for the host's (mode NODE, or none). Refuses what cannot
 * work as kubelet expects: several or partial mappings, container id 0 unmapped, modes
 * CONTAINER and TARGET, and a host-network pod.
 */
export function podUserNamespace(config: PodSandboxConfig): UserNamespaceMappings | undefined {
  const options = config.linux?.securityContext?.namespaceOptions;
  const userns = options?.usernsOptions;
  if (userns === undefined || userns.mode === NamespaceMode.NODE) return undefined;
  if (userns.mode !== NamespaceMode.POD) throw new ShimError('InvalidArgument', `user namespace mode ${NamespaceMode[userns.mode] ?? userns.mode} is not supported (POD or NODE)`);
  if (options?.network === NamespaceMode.NODE) throw new ShimError('InvalidArgument', 'a pod with its own user namespace cannot use the host network');
  const toMapping = (m: IDMapping): IDMapping => ({ containerId: m.containerId, hostId: m.hostId, length: m.length });
  return { uidMappings: [toMapping(single(userns.uids, 'uids'))], gidMappings: [toMapping(single(userns.gids, 'gids'))] };
}

/** Makes the spec join the pod's user namespace at `path`, with the pod's id mappings (the runtime wants them even for a joined one). */
export function joinPodUserNamespace(builder: RuntimeSpecBuilder, path: string, mappings: UserNamespaceMappings): RuntimeSpecBuilder {
  const oci = (m: { containerId: number; hostId: number; length: number }): { containerID: number; hostID: number; size: number } => ({ containerID: m.containerId, hostID: m.hostId, size: m.length });
  return builder.joinNamespace('user', path).setIdMappings(mappings.uidMappings.map(oci), mappings.gidMappings.map(oci));
}

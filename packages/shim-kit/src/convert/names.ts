import type { ContainerMetadata, PodSandboxMetadata } from '@shimkit/cri-types';

/** The unique name of a sandbox, as kubelet's runtimes build it: `name_namespace_uid_attempt`. */
export function sandboxName(metadata: PodSandboxMetadata): string {
  return [metadata.name, metadata.namespace, metadata.uid, String(metadata.attempt)].join('_');
}

/** The unique name of a container: `name_podName_podNamespace_podUid_attempt`. */
export function containerName(metadata: ContainerMetadata, sandbox: PodSandboxMetadata): string {
  return [metadata.name, sandbox.name, sandbox.namespace, sandbox.uid, String(metadata.attempt)].join('_');
}

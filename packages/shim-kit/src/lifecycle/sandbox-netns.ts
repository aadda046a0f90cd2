import { NamespaceMode, type PodSandboxConfig } from '@shimkit/cri-types';

/**
 * Whether a sandbox like the default one (pinned namespaces, optional infra process) needs the
 * pod's network namespace while it starts: for net.* sysctls, written inside that namespace, and
 * for an infra process, which joins it. Otherwise the network can be set up at the same time.
 */
export function sandboxNeedsNetnsAtStart(config: PodSandboxConfig): boolean {
  if (config.linux?.securityContext?.namespaceOptions?.pid === NamespaceMode.POD) return true;
  return Object.keys(config.linux?.sysctls ?? {}).some((key) => key.startsWith('net.') || key.startsWith('net/'));
}

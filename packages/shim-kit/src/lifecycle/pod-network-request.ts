import { Protocol, type PortMapping } from '@shimkit/cri-types';
import type { PodNetworkRequest, PodPortMapping } from '../interfaces/pod-network.js';
import type { SandboxRecord } from '../interfaces/sandbox-record.js';
import { podUserNamespace } from '../spec/user-namespace.js';

const protocols: Record<number, PodPortMapping['protocol']> = { [Protocol.TCP]: 'tcp', [Protocol.UDP]: 'udp', [Protocol.SCTP]: 'sctp' };

/** CRI port mappings in the PodNetwork's terms. */
export function portMappings(mappings: readonly PortMapping[]): PodPortMapping[] {
  return mappings.map((m) => ({ protocol: protocols[m.protocol] ?? 'tcp', containerPort: m.containerPort, hostPort: m.hostPort, hostIp: m.hostIp }));
}

/** The PodNetwork request for a sandbox. */
export function podNetworkRequest(sandbox: Pick<SandboxRecord, 'id' | 'config'>, signal?: AbortSignal): PodNetworkRequest {
  const meta = sandbox.config.metadata;
  const userNamespace = podUserNamespace(sandbox.config);
  return {
    sandboxId: sandbox.id,
    podName: meta?.name ?? '',
    podNamespace: meta?.namespace ?? '',
    podUid: meta?.uid ?? '',
    portMappings: portMappings(sandbox.config.portMappings),
    ...(userNamespace === undefined ? {} : { userNamespace }),
    ...(signal === undefined ? {} : { signal }),
  };
}

import type { LinuxContainerResources, PodSandboxConfig } from '@shimkit/cri-types';
import type { RecordStore } from './record-store.js';
import type { SandboxInfo } from './runtime-backend.js';

/** A pod sandbox as the shim remembers it. */
export interface SandboxRecord {
  readonly id: string;
  /** `name_namespace_uid_attempt`, unique among sandboxes. */
  readonly name: string;
  state: 'ready' | 'notready';
  /** Nanoseconds since the epoch. */
  createdAt: bigint;
  runtimeHandler: string;
  config: PodSandboxConfig;
  /** Undefined for a host-network pod. */
  netnsPath?: string;
  /** Pod IPs, primary first. */
  ips: string[];
  /** Set once the PodNetwork teardown succeeded. */
  networkTornDown: boolean;
  info: SandboxInfo;
  /**
   * What kubelet last reported of the pod's resources (UpdatePodSandboxResources, after an
   * in-place resize); informational, kubelet manages the pod cgroup itself. Absent until then,
   * and in records written before shimkit kept it.
   */
  resources?: SandboxResources;
}

/** A pod's resources as kubelet reports them in UpdatePodSandboxResources. */
export interface SandboxResources {
  /** The pod overhead (RuntimeClass), when it has one. */
  overhead?: LinuxContainerResources;
  /** The pod's resources: the sum of its containers' and the overhead. */
  resources?: LinuxContainerResources;
}

/** Where sandboxes are kept. */
export type SandboxStore = RecordStore<SandboxRecord>;

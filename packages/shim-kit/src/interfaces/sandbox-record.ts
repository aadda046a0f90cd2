import type { PodSandboxConfig } from '@shimkit/cri-types';
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
}

/** Where sandboxes are kept. */
export type SandboxStore = RecordStore<SandboxRecord>;

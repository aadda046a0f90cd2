import type { ContainerConfig } from '@shimkit/cri-types';
import type { RecordStore } from './record-store.js';

/** A container as the shim remembers it. */
export interface ContainerRecord {
  readonly id: string;
  /** `name_sandboxName_attempt` ... unique among containers (see containerName). */
  readonly name: string;
  sandboxId: string;
  state: 'created' | 'running' | 'exited' | 'unknown';
  /** Nanoseconds since the epoch; 0 when it did not happen yet. */
  createdAt: bigint;
  startedAt: bigint;
  finishedAt: bigint;
  exitCode: number;
  /** `Completed`, `Error`, `OOMKilled` once exited. */
  reason: string;
  message: string;
  /** The image as kubelet asked for it. */
  imageName: string;
  /** The image id (config digest); CRI's image_ref. */
  imageId: string;
  /** Absolute CRI log path ('' when kubelet gave none). */
  logPath: string;
  /** Host path of the root filesystem. */
  rootfs: string;
  /** Signal StopContainer sends first (`SIGTERM`, or the request's or image's stop signal). */
  stopSignal: string;
  /** The uid, gid and supplementary groups its processes run with (from its runtime spec); absent in records from before this was kept. */
  user?: { uid: number; gid: number; additionalGids: number[] };
  config: ContainerConfig;
}

/** Where containers are kept. */
export type ContainerStore = RecordStore<ContainerRecord>;

import {
  ContainerState,
  NamespaceMode,
  PodSandboxState,
  type Container,
  type ContainerStatus,
  type DeepPartial,
  type FilesystemUsage,
  type PodSandbox,
  type PodSandboxStatus,
} from '@shimkit/cri-types';
import type { ContainerRecord } from '../interfaces/container-record.js';
import type { FilesystemUsageInfo } from '../interfaces/image-backend.js';
import type { SandboxRecord } from '../interfaces/sandbox-record.js';

const containerStates: Record<ContainerRecord['state'], ContainerState> = {
  created: ContainerState.CONTAINER_CREATED,
  running: ContainerState.CONTAINER_RUNNING,
  exited: ContainerState.CONTAINER_EXITED,
  unknown: ContainerState.CONTAINER_UNKNOWN,
};

/** The CRI state of a container record. */
export function criContainerState(state: ContainerRecord['state']): ContainerState {
  return containerStates[state];
}

/** The CRI state of a sandbox record. */
export function criSandboxState(state: SandboxRecord['state']): PodSandboxState {
  return state === 'ready' ? PodSandboxState.SANDBOX_READY : PodSandboxState.SANDBOX_NOTREADY;
}

/** A sandbox as ListPodSandbox returns it. */
export function toPodSandbox(record: SandboxRecord): DeepPartial<PodSandbox> {
  return {
    id: record.id,
    metadata: record.config.metadata,
    state: criSandboxState(record.state),
    createdAt: record.createdAt,
    labels: record.config.labels,
    annotations: record.config.annotations,
    runtimeHandler: record.runtimeHandler,
  };
}

/** A sandbox as PodSandboxStatus returns it. */
export function toPodSandboxStatus(record: SandboxRecord): DeepPartial<PodSandboxStatus> {
  const [ip = '', ...more] = record.ips;
  const options = record.config.linux?.securityContext?.namespaceOptions;
  return {
    ...toPodSandbox(record),
    network: { ip, additionalIps: more.map((extra) => ({ ip: extra })) },
    linux: {
      namespaces: {
        options: {
          network: options?.network ?? NamespaceMode.POD,
          pid: options?.pid ?? NamespaceMode.POD,
          ipc: options?.ipc ?? NamespaceMode.POD,
          targetId: options?.targetId ?? '',
        },
      },
    },
  };
}

function imageSpec(record: ContainerRecord): DeepPartial<Container['image']> {
  return { ...record.config.image, image: record.imageName, imageRef: record.imageId };
}

/** A container as ListContainers returns it. */
export function toContainer(record: ContainerRecord): DeepPartial<Container> {
  return {
    id: record.id,
    podSandboxId: record.sandboxId,
    metadata: record.config.metadata,
    image: imageSpec(record),
    imageRef: record.imageId,
    imageId: record.imageId,
    state: criContainerState(record.state),
    createdAt: record.createdAt,
    labels: record.config.labels,
    annotations: record.config.annotations,
  };
}

/** A container as ContainerStatus returns it: what kubelet reads for the pod status. */
export function toContainerStatus(record: ContainerRecord): DeepPartial<ContainerStatus> {
  return {
    id: record.id,
    metadata: record.config.metadata,
    state: criContainerState(record.state),
    createdAt: record.createdAt,
    startedAt: record.startedAt,
    finishedAt: record.finishedAt,
    exitCode: record.exitCode,
    image: imageSpec(record),
    imageRef: record.imageId,
    imageId: record.imageId,
    reason: record.reason,
    message: record.message,
    labels: record.config.labels,
    annotations: record.config.annotations,
    mounts: record.config.mounts,
    logPath: record.logPath,
    resources: record.config.linux?.resources === undefined ? undefined : { linux: record.config.linux.resources },
    stopSignal: record.config.stopSignal,
    user: containerUser(record),
  };
}

/** The identity of a container's processes as ContainerStatus reports it (`user.linux`), when known. */
function containerUser(record: ContainerRecord): DeepPartial<ContainerStatus['user']> {
  if (record.user === undefined) return undefined;
  const { uid, gid, additionalGids } = record.user;
  return { linux: { uid: BigInt(uid), gid: BigInt(gid), supplementalGroups: additionalGids.map(BigInt) } };
}

/** A filesystem's usage as CRI reports it (ImageFsInfo, a container's writable layer). */
export function toFilesystemUsage(usage: FilesystemUsageInfo, timestamp: bigint): DeepPartial<FilesystemUsage> {
  return { timestamp, fsId: { mountpoint: usage.mountpoint }, usedBytes: { value: usage.usedBytes }, inodesUsed: { value: usage.inodesUsed } };
}

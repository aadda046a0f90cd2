import type { ImageConfig } from '@shimkit/oci-spec';
import type { OperationOptions } from './operation-options.js';

/** Registry credentials from PullImage's AuthConfig (any subset). */
export interface RegistryAuth {
  username?: string;
  password?: string;
  /** base64 `user:password`. */
  auth?: string;
  serverAddress?: string;
  identityToken?: string;
  registryToken?: string;
}

/** An image the backend holds. */
export interface ImageRecord {
  /** Image id: the config digest, `sha256:<hex>`. */
  id: string;
  /** Names such as `docker.io/library/busybox:latest`. */
  repoTags: string[];
  /** `name@sha256:<manifest digest>`. */
  repoDigests: string[];
  /** Size in bytes (unpacked or stored, as the backend counts it). */
  size: bigint;
  /** The image configuration (entrypoint, env, user ...). */
  config: ImageConfig;
  /** Never garbage collected (e.g. the pause image). */
  pinned: boolean;
}

/** Usage of a filesystem holding images or container layers. */
export interface FilesystemUsageInfo {
  mountpoint: string;
  usedBytes: bigint;
  inodesUsed: bigint;
}

/** A container root filesystem prepared from an image. */
export interface PreparedRootfs {
  /** Host path to use as the container's root. */
  path: string;
}

/**
 * Holds images and makes container root filesystems from them: what an image-store
 * backend or a fake implements. `ref` is a name (`busybox`, `busybox:1.36`,
 * `registry/x@sha256:...`) or an image id.
 */
export interface ImageBackend {
  /** Pulls an image (or finds it already present) and returns it; failures name the reference. */
  pull(ref: string, options?: OperationOptions & { auth?: RegistryAuth }): Promise<ImageRecord>;
  /** The image a reference or id names, or undefined. */
  status(ref: string, options?: OperationOptions): Promise<ImageRecord | undefined>;
  list(options?: OperationOptions): Promise<ImageRecord[]>;
  /** Removes an image by name or id; idempotent for a missing image. */
  remove(ref: string, options?: OperationOptions): Promise<void>;
  /** Usage of the image filesystems (and, if separate, the container layer filesystems). */
  fsInfo(options?: OperationOptions): Promise<{ images: FilesystemUsageInfo[]; containers: FilesystemUsageInfo[] }>;
  /** Prepares a writable root filesystem for a container from an image id. */
  prepareRootfs(containerId: string, imageId: string, options?: OperationOptions): Promise<PreparedRootfs>;
  /** Releases (unmounts, deletes) a container's root filesystem; idempotent. */
  releaseRootfs(containerId: string, options?: OperationOptions): Promise<void>;
  /**
   * What the container wrote to its root filesystem (its writable layer): `mountpoint` names the
   * directory measured. Undefined when it has none. Optional: ContainerStats then has no writable layer.
   */
  rootfsUsage?(containerId: string, options?: OperationOptions): Promise<FilesystemUsageInfo | undefined>;
  close(): Promise<void>;
}

import type { Descriptor, Digest, ImageConfig, Platform } from '@shimkit/oci-spec';

/** One image in the store, as kubelet's ImageService sees it. */
export interface ImageRecord {
  /** The image id: digest of its config blob. */
  id: Digest;
  /** Normalized tagged names, e.g. `docker.io/library/busybox:latest`. */
  repoTags: string[];
  /** Normalized digested names, e.g. `docker.io/library/busybox@sha256:...` (the digest that was pulled: index or manifest). */
  repoDigests: string[];
  /** The image manifest (platform-specific). */
  manifest: Descriptor;
  /** The index it came through, for multi-platform images. */
  index?: Descriptor;
  config: ImageConfig;
  /** Layer blobs as the manifest lists them, base first. */
  layers: Descriptor[];
  diffIds: Digest[];
  chainIds: Digest[];
  /** Bytes of the image as pulled: manifest, config and compressed layers. */
  size: number;
  platform?: Platform;
  /** When it was first stored (ISO 8601). */
  createdAt: string;
}

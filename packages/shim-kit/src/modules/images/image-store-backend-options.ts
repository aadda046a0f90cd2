import type { HostHelper } from '@shimkit/host-helper';
import type { RegistryClientOptions, SignaturePolicyEnforcer, SnapshotterKind } from '@shimkit/image-store';
import type { Logger } from '../../interfaces/logger.js';
import type { ShimMetrics } from '../../observe/metrics.js';

/** Options of {@link ImageStoreBackend}. */
export interface ImageStoreBackendOptions {
  /** Directory of the store: blobs, layer snapshots, container rootfs dirs, metadata. */
  root: string;
  /**
   * Registry configuration, image-store's own (containerd's hosts.toml in one object):
   * `hosts` with mirrors, `plainHttp`, `tls` (`caFile`, `insecureSkipVerify`) and
   * `credentials` per host, `credentials` for any host, retries and timeouts.
   */
  registry?: RegistryClientOptions;
  /**
   * A docker config.json whose `auths` give credentials for hosts that have none in
   * `registry`: a path, or `true` for `$DOCKER_CONFIG/config.json` / `~/.docker/config.json`.
   */
  dockerConfig?: string | true;
  /** `auto` (default): overlay when it can be mounted, else copies. */
  snapshotter?: SnapshotterKind | 'auto';
  /** Keep compressed layer blobs after unpacking (needed to push or export; default false). */
  keepLayerBlobs?: boolean;
  /** Layers transferred and unpacked at once (default: image-store's, 6). */
  concurrency?: number;
  /** A pull fails when no byte arrived for this long (default: image-store's). */
  progressTimeoutMs?: number;
  /**
   * A signature policy every PullImage must satisfy: a containers-policy.json path, or an
   * enforcer. A refused image answers PermissionDenied naming the policy rule; nothing of it
   * is stored.
   */
  signaturePolicy?: string | SignaturePolicyEnforcer;
  /** With a policy path: a registries.d directory (lookaside stores, sigstore attachments per registry). */
  registriesDir?: string;
  /** Images reported as pinned (kubelet never garbage collects them), e.g. the pause image. */
  pinnedImages?: readonly string[];
  /** Collect unused snapshots and blobs when a removal leaves an image without names (default true). */
  gcOnRemove?: boolean;
  /** Mounts and applies layers' device nodes and xattrs (shared, not closed here). Default: the store's own. */
  helper?: HostHelper;
  logger?: Logger;
  /** Told the compressed bytes each pull downloaded (`shimkit_image_pull_bytes_total`). */
  metrics?: Pick<ShimMetrics, 'imagePullBytes'>;
}

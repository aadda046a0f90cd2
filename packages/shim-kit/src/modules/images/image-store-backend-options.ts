import type { HostHelper } from '@shimkit/host-helper';
import type { RegistryClientOptions, SignaturePolicyEnforcer, SnapshotterKind } from '@shimkit/image-store';
import type { Logger } from '../../interfaces/logger.js';
import type { ShimMetrics } from '../../observe/metrics.js';

/** image-store's registry client options, plus containerd's registry host directory. */
export type ImageRegistryOptions = RegistryClientOptions & { configPath?: string };

/** Options of {@link ImageStoreBackend}. */
export interface ImageStoreBackendOptions {
  /** Directory of the store: blobs, layer snapshots, container rootfs dirs, metadata. */
  root: string;
  /**
   * Registry configuration, image-store's own (containerd's hosts.toml in one object):
   * `hosts` with mirrors, `plainHttp`, `endpoint`, `tls` (`caFile`, `certFile`/`keyFile`,
   * `insecureSkipVerify`) and `credentials` per host, `credentials` for any host, retries and
   * timeouts; and `configPath`, containerd's registry host directory (`<host>/hosts.toml`).
   * `hosts` given here win over the files, host by host.
   */
  registry?: ImageRegistryOptions;
  /**
   * A containers-registries.conf(5) v2 file (CRI-O's, podman's): mirrors, locations, insecure and
   * blocked registries. `false`: none (`shimkit serve` otherwise reads the containers tools' default).
   */
  registriesConf?: string | false;
  /** The containers tools' certificate directory (`/etc/containers/certs.d`): `<host>/*.crt` CAs, `client.cert`/`client.key`; `false`: none. */
  certsDir?: string | false;
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

import { ImageStore, SignaturePolicyEnforcer, type FsUsage, type RegistryClientOptions, type SnapshotterKind } from '@shimkit/image-store';
import { formatImageReference, parseImageReference, type ImageConfig, type ImageReference } from '@shimkit/oci-spec';
import { ShimError } from '../../errors.js';
import type { FilesystemUsageInfo, ImageBackend, ImageRecord, PreparedRootfs, RegistryAuth } from '../../interfaces/image-backend.js';
import type { Logger } from '../../interfaces/logger.js';
import type { OperationOptions } from '../../interfaces/operation-options.js';
import { NoopLogger } from '../../runtime/noop-logger.js';
import { GcScheduler } from './gc-scheduler.js';
import type { ImageStoreBackendOptions } from './image-store-backend-options.js';
import { pinnedNames } from './pinned-names.js';
import { loadRegistryOptions, type RegistrySettings } from './registry-options.js';
import { credentialsFromAuth } from './registry-auth.js';
import { shimErrorOf } from './shim-error-of.js';
import { toImageRecord } from './to-image-record.js';

/** A container rootfs from {@link ImageStoreBackend.prepareRootfs}. */
export interface ImageStoreRootfs extends PreparedRootfs {
  /** `overlay`: an overlay mount with a writable upper dir; `copy`: a private copy of the image's tree. */
  kind: SnapshotterKind;
  /** The image it was made from, and that image's config (for the spec generator). */
  imageId: string;
  config: ImageConfig;
}

/**
 * The default ImageBackend: images in an `@shimkit/image-store` under `root`, pulled through
 * its registry configuration (mirrors, plain-HTTP hosts, TLS, credentials) with a PullImage
 * AuthConfig taking precedence for the image's registry; ids are config digests everywhere;
 * container rootfs are overlay mounts (or copies) of the layer snapshots. The store opens on
 * first use (or with {@link ImageStoreBackend.open}); answers to status and list come from memory.
 */
export class ImageStoreBackend implements ImageBackend, AsyncDisposable {
  /** The store's directory. */
  readonly root: string;
  readonly #options: ImageStoreBackendOptions;
  readonly #logger: Logger;
  readonly #pinned: ReadonlySet<string>;
  readonly #gc: GcScheduler;
  #opening: Promise<ImageStore> | undefined;
  #closed = false;

  constructor(options: ImageStoreBackendOptions) {
    if (options.root === '') throw new ShimError('InvalidArgument', 'ImageStoreBackend: root is empty');
    this.root = options.root;
    this.#options = options;
    this.#logger = options.logger ?? new NoopLogger();
    this.#pinned = pinnedNames(options.pinnedImages ?? []);
    this.#gc = new GcScheduler(
      async () => {
        const result = await (await this.store()).gc();
        this.#logger.debug('image garbage collected', { ...result });
      },
      (error) => this.#logger.warn('image garbage collection failed', { error: String(error) }),
    );
  }

  /** Makes a backend and opens its store now, so that a bad root or config fails here. */
  static async open(options: ImageStoreBackendOptions & OperationOptions): Promise<ImageStoreBackend> {
    const backend = new ImageStoreBackend(options);
    await backend.store(options);
    return backend;
  }

  /** The underlying image store (opened on first use), for what the ImageBackend interface lacks: build, push, export. */
  async store(options: OperationOptions = {}): Promise<ImageStore> {
    if (this.#closed) throw new ShimError('FailedPrecondition', 'the image backend is closed');
    options.signal?.throwIfAborted();
    this.#opening ??= this.#open().catch((e: unknown) => {
      this.#opening = undefined; // a later call tries again
      throw shimErrorOf(e, `opening the image store in ${this.root}`);
    });
    return this.#opening;
  }

  async #open(): Promise<ImageStore> {
    const options = await loadRegistryOptions(this.#options);
    const { signaturePolicy, registriesDir } = this.#options;
    const policy = typeof signaturePolicy === 'string' ? await SignaturePolicyEnforcer.load(signaturePolicy, registriesDir === undefined ? {} : { registriesDir }) : signaturePolicy;
    return ImageStore.open({
      root: this.root,
      registry: options,
      ...(policy === undefined ? {} : { signaturePolicy: policy }),
      ...(this.#options.snapshotter === undefined ? {} : { snapshotter: this.#options.snapshotter }),
      ...(this.#options.keepLayerBlobs === undefined ? {} : { keepLayerBlobs: this.#options.keepLayerBlobs }),
      ...(this.#options.concurrency === undefined ? {} : { concurrency: this.#options.concurrency }),
      ...(this.#options.helper === undefined ? {} : { helper: this.#options.helper }),
    });
  }

  /**
   * Reads the registry configuration again from `settings` (files included) and uses it for
   * pulls that start from now on; pulls in flight finish with the one they started with. A bad
   * file throws (a ShimError naming it) and the configuration in use stays.
   */
  async reloadRegistry(settings: RegistrySettings, options: OperationOptions = {}): Promise<void> {
    const store = await this.store(options);
    let next: RegistryClientOptions;
    try {
      next = await loadRegistryOptions(settings);
    } catch (e) {
      throw shimErrorOf(e, 'reloading the registry configuration');
    }
    store.replaceRegistry(next);
    this.#logger.info('registry configuration reloaded', { hosts: Object.keys(next.hosts ?? {}).length });
  }

  async pull(ref: string, options: OperationOptions & { auth?: RegistryAuth } = {}): Promise<ImageRecord> {
    const store = await this.store(options);
    const parsed = parseRef(ref);
    const name = formatImageReference(parsed);
    const credentials = credentialsFromAuth(options.auth, parsed.domain);
    // the compressed bytes fetched so far per layer (layers already present count nothing)
    const downloaded = new Map<string, number>();
    try {
      const image = await this.#gc.use(() =>
        store.pull(name, {
          onProgress: (p) => void (p.status === 'exists' ? undefined : downloaded.set(p.digest, p.downloaded)),
          ...(options.signal === undefined ? {} : { signal: options.signal }),
          ...(credentials === undefined ? {} : { credentials }),
          ...(this.#options.progressTimeoutMs === undefined ? {} : { progressTimeoutMs: this.#options.progressTimeoutMs }),
        }),
      );
      this.#logger.info('image pulled', { image: name, id: image.id });
      return toImageRecord(image, this.#pinned);
    } catch (e) {
      throw shimErrorOf(e, `pulling image ${name}`);
    } finally {
      this.#options.metrics?.imagePullBytes([...downloaded.values()].reduce((sum, n) => sum + n, 0));
    }
  }

  async status(ref: string, options: OperationOptions = {}): Promise<ImageRecord | undefined> {
    const image = (await this.store(options)).get(ref);
    return image === undefined ? undefined : toImageRecord(image, this.#pinned);
  }

  /**
   * The named images. A build's intermediate images (its layer cache: no tag, no digest name)
   * are left out, as CRI-O leaves out intermediate images; ImageStatus by id still finds them
   * and gc prunes them.
   */
  async list(options: OperationOptions = {}): Promise<ImageRecord[]> {
    return (await this.store(options))
      .list()
      .filter((image) => image.repoTags.length > 0 || image.repoDigests.length > 0)
      .map((image) => toImageRecord(image, this.#pinned));
  }

  /**
   * Removes a name or an image: a tag goes alone (the image with it when no tag is left), an
   * id or digest reference removes the image. Unused snapshots and blobs are then collected
   * (after pulls in flight end, if any).
   */
  async remove(ref: string, options: OperationOptions = {}): Promise<void> {
    const store = await this.store(options);
    const image = store.get(ref);
    if (image === undefined) return;
    try {
      await store.remove(ref, options.signal === undefined ? {} : { signal: options.signal });
    } catch (e) {
      throw shimErrorOf(e, `removing image ${ref}`);
    }
    this.#logger.info('image removed', { image: ref, id: image.id });
    if (this.#options.gcOnRemove === false || store.get(image.id) !== undefined) return;
    const deferred = this.#gc.busy;
    const collected = this.#gc.request();
    if (!deferred) await collected;
  }

  /** Removes snapshots and blobs no image or container rootfs uses; waits for pulls in flight first. */
  async gc(options: OperationOptions = {}): Promise<void> {
    await this.store(options);
    await this.#gc.request();
  }

  /** Bytes and inodes under the store's root (layers, blobs and the containers' upper dirs, one filesystem). */
  async fsInfo(options: OperationOptions = {}): Promise<{ images: FilesystemUsageInfo[]; containers: FilesystemUsageInfo[] }> {
    const store = await this.store(options);
    try {
      const usage = await store.fsUsage(options.signal === undefined ? {} : { signal: options.signal });
      return { images: [usageInfo(usage)], containers: [] };
    } catch (e) {
      throw shimErrorOf(e, 'measuring the image filesystem');
    }
  }

  /**
   * A writable rootfs for a container: an overlay mount of the image's layer snapshots with
   * the container's own upper dir (a copy where overlay is unavailable), plus the image config.
   * Preparing again for the same image returns the same rootfs (remounted if needed);
   * for another image it fails with AlreadyExists.
   */
  async prepareRootfs(containerId: string, imageId: string, options: OperationOptions = {}): Promise<ImageStoreRootfs> {
    const store = await this.store(options);
    const signal = options.signal === undefined ? {} : { signal: options.signal };
    try {
      return await this.#gc.use(async () => {
        const image = store.get(imageId);
        if (image === undefined) throw new ShimError('NotFound', `image ${imageId} not found`);
        const existing = await store.snapshots.getRootfs(containerId, signal);
        if (existing !== undefined && existing.chainIds.join() !== image.chainIds.join()) {
          throw new ShimError('AlreadyExists', `container ${containerId} already has a rootfs from another image`);
        }
        const rootfs = await store.createRootfs(containerId, image.id, signal);
        return { path: rootfs.path, kind: rootfs.kind, imageId: image.id, config: structuredClone(image.config) };
      });
    } catch (e) {
      throw shimErrorOf(e, `preparing the rootfs of container ${containerId}`);
    }
  }

  /** What the container wrote: its upper dir (overlay) or its private copy, measured now. */
  async rootfsUsage(containerId: string, options: OperationOptions = {}): Promise<FilesystemUsageInfo | undefined> {
    const store = await this.store(options);
    try {
      const usage = await store.rootfsUsage(containerId, options.signal === undefined ? {} : { signal: options.signal });
      return usage === undefined ? undefined : usageInfo(usage);
    } catch (e) {
      throw shimErrorOf(e, `measuring the rootfs of container ${containerId}`);
    }
  }

  /** Unmounts and deletes a container's rootfs and upper dir; nothing to do when it is gone. */
  async releaseRootfs(containerId: string, options: OperationOptions = {}): Promise<void> {
    const store = await this.store(options);
    try {
      await store.removeRootfs(containerId, options.signal === undefined ? {} : { signal: options.signal });
    } catch (e) {
      throw shimErrorOf(e, `releasing the rootfs of container ${containerId}`);
    }
  }

  /** Waits for pulls in flight and closes the store. Container rootfs mounts stay (containers outlive the shim). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const opening = this.#opening;
    if (opening === undefined) return;
    const store = await opening.catch(() => undefined);
    await store?.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function parseRef(ref: string): ImageReference {
  try {
    return parseImageReference(ref);
  } catch (e) {
    throw new ShimError('InvalidArgument', `invalid image reference ${JSON.stringify(ref)}: ${(e as Error).message}`, { cause: e });
  }
}

function usageInfo(usage: FsUsage): FilesystemUsageInfo {
  return { mountpoint: usage.mountpoint, usedBytes: BigInt(usage.usedBytes), inodesUsed: BigInt(usage.inodesUsed) };
}

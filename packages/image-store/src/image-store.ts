import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostHelper } from '@shimkit/host-helper';
import type { Digest, ImageReference, Platform } from '@shimkit/oci-spec';
import { formatImageReference, hostPlatform, matchPlatform, parseImageReference, referenceName, tryParseDigest } from '@shimkit/oci-spec';
import { ContentStore } from './content/content-store.js';
import { ImageStoreError, throwIfAborted } from './errors.js';
import type { ImageRecord } from './images/image-record.js';
import { ImageIndex } from './images/image-index.js';
import { StoreLock, type StoreLockOptions } from './images/store-lock.js';
import { StoreLeases } from './images/store-leases.js';
import { leftByDeadProcess } from './process-start.js';
import type { FsUsage } from './images/fs-usage.js';
import { measureUsage } from './images/fs-usage.js';
import type { ImageSource, PullOptions } from './pull/pull-image.js';
import { pullImage, unpackImage } from './pull/pull-image.js';
import { exportLayout } from './layout/export-layout.js';
import { ImageBuilder } from './build/image-builder.js';
import { layoutSource } from './layout/layout-source.js';
import { packLayout, withTempDir, withUnpackedLayout } from './layout/layout-archive.js';
import type { RegistryClientOptions } from './registry/registry-client.js';
import { RegistryClient } from './registry/registry-client.js';
import type { SignaturePolicyEnforcer } from './signature/policy-enforcer.js';
import type { Rootfs, RootfsOptions, SnapshotterKind } from './snapshot/snapshot-store.js';
import { SnapshotStore } from './snapshot/snapshot-store.js';

export interface ImageStoreOptions {
  /** Persistent directory for blobs, snapshots, rootfs dirs and metadata. */
  root: string;
  /** A registry client, or options to make one. */
  registry?: RegistryClient | RegistryClientOptions;
  /** `auto` (default) uses overlay when it can be mounted, else copies. */
  snapshotter?: SnapshotterKind | 'auto';
  /** Keep compressed layer blobs after unpacking (default false: they would double the disk writes of a pull). */
  keepLayerBlobs?: boolean;
  /**
   * Layers transferred and unpacked at once (default 6). Overlay snapshots of one image are
   * independent, so a layer of many small files (bound by inode creation) overlaps the big
   * ones instead of running alone at the end: with 3, the five-layer pull bench image took
   * about a third longer.
   */
  concurrency?: number;
  /**
   * The host helper for mounts, device nodes and xattrs, shared: close() leaves it open for its
   * owner. Without one the store makes its own and ends it in close().
   */
  helper?: HostHelper;
  /**
   * A signature policy every pull must satisfy (checked before anything of the image is
   * stored); an image already held is checked again when pulled by digest.
   */
  signaturePolicy?: SignaturePolicyEnforcer;
  /** The cross-process store lock's timings (tests shorten them). */
  lock?: StoreLockOptions;
  signal?: AbortSignal;
}

export interface GcResult {
  removedBlobs: number;
  removedSnapshots: number;
}

const METADATA = 'images.json';

/**
 * Images on local disk: pull from registries, names (tags and digests) to
 * images, container rootfs on the layer snapshots, removal and garbage
 * collection. Lists and status are answered from memory. Any number of
 * processes may open one root at once: changes of the index, gc and rootfs
 * pinning take a short store lock, and each read sees the others' writes.
 */
export class ImageStore implements AsyncDisposable {
  private readonly index: ImageIndex;
  private readonly lock: StoreLock;
  private readonly leases: StoreLeases;
  private readonly pulls = new Map<string, Promise<ImageRecord>>();
  /** Operations that write blobs or snapshots not yet recorded (pulls, imports, builds, exports); gc waits for none. */
  private readonly active = new Set<Promise<unknown>>();
  /** This store's lease while operations are active (its release). */
  private leased: Promise<() => Promise<void>> | undefined;

  #registry: RegistryClient;
  /** Whether the store made its registry client (and so closes it). */
  #ownsRegistry: boolean;
  /** Registry clients replaced while operations were running, closed once those are done. */
  #retiring: Promise<void>[] = [];

  private constructor(
    readonly root: string,
    readonly content: ContentStore,
    readonly snapshots: SnapshotStore,
    registry: RegistryClient,
    private readonly options: ImageStoreOptions,
  ) {
    this.#registry = registry;
    this.#ownsRegistry = !(options.registry instanceof RegistryClient);
    this.index = new ImageIndex(join(root, METADATA));
    this.lock = new StoreLock(root, options.lock);
    this.leases = new StoreLeases(root);
  }

  /** The images as last read from disk; call {@link fresh} first. */
  private get images(): Map<Digest, ImageRecord> {
    return this.index.images;
  }

  /** The index with every other process's writes so far. */
  private fresh(): Map<Digest, ImageRecord> {
    this.index.refresh();
    return this.index.images;
  }

  /** Opens (creating when missing) a store, reloading its image metadata. */
  static async open(options: ImageStoreOptions): Promise<ImageStore> {
    throwIfAborted(options.signal);
    await mkdir(options.root, { recursive: true });
    const content = await ContentStore.open(join(options.root, 'content'), { signal: options.signal });
    const snapshots = await SnapshotStore.open(options.root, { kind: options.snapshotter, helper: options.helper, signal: options.signal });
    try {
      return await ImageStore.load(options, content, snapshots);
    } catch (e) {
      await snapshots.close();
      throw e;
    }
  }

  private static async load(options: ImageStoreOptions, content: ContentStore, snapshots: SnapshotStore): Promise<ImageStore> {
    const registry = options.registry instanceof RegistryClient ? options.registry : new RegistryClient(options.registry);
    const store = new ImageStore(options.root, content, snapshots, registry, options);
    // Scratch directories of archive imports/exports that a crashed process left behind (`.archive-PID-...`; live ones are another process's).
    for (const name of await readdir(options.root)) {
      if (name.startsWith('.archive-') && leftByDeadProcess(name, /^\.archive-(\d+)-/)) {
        await rm(join(options.root, name), { recursive: true, force: true });
      }
    }
    try {
      store.index.refresh();
    } catch (e) {
      if (!(options.registry instanceof RegistryClient)) await registry.close();
      throw e;
    }
    return store;
  }

  /** The registry client that operations starting now use. */
  get registry(): RegistryClient {
    return this.#registry;
  }

  /**
   * Swaps the registry configuration (a client, or options to make one) for the operations that
   * start from now on; pulls and pushes already running finish with the client they started
   * with, which is closed after them when the store made it.
   */
  replaceRegistry(next: RegistryClient | RegistryClientOptions): void {
    const old = this.#registry;
    const ownedOld = this.#ownsRegistry;
    this.#registry = next instanceof RegistryClient ? next : new RegistryClient(next);
    this.#ownsRegistry = !(next instanceof RegistryClient);
    if (ownedOld) this.#retiring.push(Promise.allSettled([...this.active]).then(() => old.close()));
  }

  /** The snapshotter in use. */
  get snapshotter(): SnapshotterKind {
    return this.snapshots.kind;
  }

  /** Runs a read-modify-write of the index under the store lock, on the index as on disk now. */
  private change<T>(update: (images: Map<Digest, ImageRecord>) => T, options: { signal?: AbortSignal } = {}): Promise<T> {
    return this.lock.run(async () => {
      const images = this.fresh();
      const result = update(images);
      await this.index.save();
      return result;
    }, options);
  }

  private parse(ref: string): ImageReference {
    try {
      return parseImageReference(ref);
    } catch (e) {
      throw new ImageStoreError('INVALID_ARGUMENT', `invalid image reference ${JSON.stringify(ref)}: ${(e as Error).message}`, { cause: e });
    }
  }

  /**
   * Pulls an image and records its name. Identical pulls running at once
   * share one transfer; layers already unpacked are not fetched again.
   */
  async pull(ref: string, options: PullOptions = {}): Promise<ImageRecord> {
    const parsed = this.parse(ref);
    if (parsed.digest !== undefined && this.options.signaturePolicy === undefined) {
      // Content-addressed: an image already held under this digest cannot have changed, so no registry is asked.
      const held = this.lookup(`${referenceName(parsed)}@${parsed.digest}`)?.record;
      const samePlatform = held?.platform === undefined || matchPlatform(options.platform ?? hostPlatform(), held.platform);
      if (held !== undefined && samePlatform && (await this.snapshotsPresent(held))) return structuredClone(held);
    }
    // Pulls with other credentials do not share a transfer: one caller's access must not serve another.
    const key = `${formatImageReference(parsed)}|${JSON.stringify(options.platform ?? null)}|${JSON.stringify(options.credentials ?? null)}`;
    const running = this.pulls.get(key);
    if (running !== undefined) return running;
    // The registry configuration as of this call, whatever replaceRegistry does while it runs.
    const context = this.pullContext();
    const job = this.track(async () => this.record(await pullImage(context, parsed, options))).finally(() => this.pulls.delete(key));
    this.pulls.set(key, job);
    return job;
  }

  private async snapshotsPresent(record: ImageRecord): Promise<boolean> {
    for (const c of record.chainIds) if (!(await this.snapshots.has(c))) return false;
    return true;
  }

  /**
   * Runs an operation that gc must not overlap, in this process or (through this store's lease
   * file) in any other.
   */
  private track<T>(operation: () => Promise<T>): Promise<T> {
    this.leased ??= this.lock.run(() => this.leases.take());
    const lease = this.leased;
    const job = lease.then(() => operation());
    const settled = job.then(() => undefined, () => undefined);
    this.active.add(settled);
    void settled.then(async () => {
      this.active.delete(settled);
      if (this.active.size > 0 || this.leased !== lease) return;
      this.leased = undefined;
      await (await lease.catch(() => undefined))?.().catch(() => undefined);
    });
    return job;
  }

  /**
   * Runs an operation that writes blobs, snapshots or unnamed images before it is done (a
   * build): gc refuses while it runs, here and in every process sharing the store.
   */
  lease<T>(operation: () => Promise<T>): Promise<T> {
    return this.track(operation);
  }

  private pullContext() {
    return {
      registry: this.registry,
      content: this.content,
      snapshots: this.snapshots,
      keepLayerBlobs: this.options.keepLayerBlobs ?? false,
      concurrency: this.options.concurrency ?? 6,
      ...(this.options.signaturePolicy ? { policy: this.options.signaturePolicy } : {}),
    };
  }

  /**
   * Imports an image from an OCI image layout directory (unpacking its layers
   * like a pull) and records it under `name` (e.g. `example.com/app:v1`).
   * `refName` picks the layout entry; it may be left out when there is one.
   */
  async importLayout(dir: string, options: { name: string; refName?: string } & Omit<PullOptions, 'progressTimeoutMs'>): Promise<ImageRecord> {
    return this.importImage(() => layoutSource(dir, { refName: options.refName }), options);
  }

  /**
   * Imports an image from any source (unpacking its layers like a pull) and
   * records it under `name`; nothing is recorded when it fails.
   */
  async importImage(source: ImageSource | (() => Promise<ImageSource>), options: { name: string } & Omit<PullOptions, 'progressTimeoutMs'>): Promise<ImageRecord> {
    const name = this.parse(options.name);
    return this.track(async () => {
      const resolved = typeof source === 'function' ? await source() : source;
      return this.record(await unpackImage(this.pullContext(), resolved, name, options));
    });
  }

  /**
   * A builder starting from an image in the store (`from`), or from scratch
   * for `platform` (default: this host's).
   */
  builder(options: { from?: string; platform?: Platform } = {}): ImageBuilder {
    const base = options.from === undefined ? undefined : this.find(options.from);
    if (options.from !== undefined && base === undefined) throw new ImageStoreError('NOT_FOUND', `base image ${JSON.stringify(options.from)} is not in the store`);
    return new ImageBuilder(
      { content: this.content, snapshots: this.snapshots, record: (r) => this.record(r), track: (op) => this.track(op) },
      base && structuredClone(base),
      options.platform,
    );
  }

  /** Gives an image in the store (by any name or id) the tag `name`, moving it from any other image. */
  async tag(image: string, name: string, options: { signal?: AbortSignal } = {}): Promise<ImageRecord> {
    throwIfAborted(options.signal);
    const record = this.find(image);
    if (record === undefined) throw new ImageStoreError('NOT_FOUND', `image ${JSON.stringify(image)} is not in the store`);
    const ref = this.parse(name);
    if (ref.digest !== undefined) throw new ImageStoreError('INVALID_ARGUMENT', `a tag cannot have a digest: ${name}`);
    const tagged = formatImageReference({ domain: ref.domain, path: ref.path, tag: ref.tag ?? 'latest' });
    const digested = `${referenceName(ref)}@${record.manifest.digest}`;
    // Already so (a rebuild from the cache): nothing to write.
    if (record.repoTags.includes(tagged) && record.repoDigests.includes(digested)) return structuredClone(record);
    return this.record({ ...structuredClone(record), repoTags: [tagged], repoDigests: [digested] });
  }

  /** Writes images (by any name or id) into an OCI image layout directory; their layer blobs must have been kept. */
  async exportLayout(images: readonly string[], dir: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const records = images.map((ref) => {
      const r = this.find(ref);
      if (r === undefined) throw new ImageStoreError('NOT_FOUND', `image ${JSON.stringify(ref)} is not in the store`);
      return r;
    });
    await this.track(() => exportLayout(this.content, records, dir, options));
  }

  /** Writes images into an OCI archive: a tar of an OCI image layout (skopeo's `oci-archive:`). */
  async exportArchive(images: readonly string[], file: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    await withTempDir(this.root, async (dir) => {
      const layout = join(dir, 'layout');
      await this.exportLayout(images, layout, options);
      await packLayout(layout, file, options);
    });
  }

  /** Imports an image from an OCI archive (a tar of an OCI image layout); see importLayout. */
  async importArchive(file: string, options: { name: string; refName?: string } & Omit<PullOptions, 'progressTimeoutMs'>): Promise<ImageRecord> {
    return withUnpackedLayout(file, this.root, (dir) => this.importLayout(dir, options), { helper: this.snapshots.helper, signal: options.signal });
  }

  /** Adds a pulled image, moving its tags away from any other image. */
  private async record(pulled: Omit<ImageRecord, 'createdAt'>): Promise<ImageRecord> {
    return this.change((images) => this.recordIn(images, pulled));
  }

  private recordIn(images: Map<Digest, ImageRecord>, pulled: Omit<ImageRecord, 'createdAt'>): ImageRecord {
    for (const other of images.values()) {
      if (other.id === pulled.id) continue;
      other.repoTags = other.repoTags.filter((t) => !pulled.repoTags.includes(t));
    }
    const existing = images.get(pulled.id);
    const record: ImageRecord = existing === undefined
      ? { ...pulled, createdAt: new Date().toISOString() }
      : {
          ...existing,
          repoTags: [...new Set([...existing.repoTags, ...pulled.repoTags])],
          repoDigests: [...new Set([...existing.repoDigests, ...pulled.repoDigests])],
        };
    images.set(record.id, record);
    return structuredClone(record);
  }

  /** Every image. */
  list(): ImageRecord[] {
    return [...this.fresh().values()].map((r) => structuredClone(r));
  }

  private find(ref: string): ImageRecord | undefined {
    return this.lookup(ref)?.record;
  }

  /** Resolves an id, id prefix, tag or digest reference; `tag` is set when a tag matched. */
  private lookup(ref: string): { record: ImageRecord; tag?: string } | undefined {
    this.index.refresh();
    const asId = tryParseDigest(ref) ?? (/^[0-9a-f]{64}$/.test(ref) ? tryParseDigest(`sha256:${ref}`) : undefined);
    if (asId !== undefined) {
      const record = this.images.get(asId);
      return record && { record };
    }
    if (/^[0-9a-f]{12,63}$/.test(ref)) {
      const matches = [...this.images.values()].filter((r) => r.id.slice(7).startsWith(ref));
      if (matches.length === 1) return { record: matches[0]! };
    }
    let parsed: ImageReference;
    try {
      parsed = parseImageReference(ref);
    } catch {
      return undefined;
    }
    if (parsed.digest !== undefined) {
      const name = `${referenceName(parsed)}@${parsed.digest}`;
      const record = [...this.images.values()].find((r) => r.repoDigests.includes(name));
      return record && { record };
    }
    const tag = formatImageReference(parsed);
    const record = [...this.images.values()].find((r) => r.repoTags.includes(tag));
    return record && { record, tag };
  }

  /** An image by id (`sha256:...`, its hex, or a unique hex prefix of 12+), tag or digest reference; undefined when absent. */
  get(ref: string): ImageRecord | undefined {
    const r = this.find(ref);
    return r === undefined ? undefined : structuredClone(r);
  }

  /**
   * Removes a name. A tag goes alone, and the image with it when it has no
   * tag left; an id or a digest reference removes the whole image. Snapshots
   * and blobs are freed by gc(). Returns false when nothing matched.
   */
  async remove(ref: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    throwIfAborted(options.signal);
    return this.lock.run(async () => {
      const found = this.lookup(ref);
      if (found === undefined) return false;
      const { record, tag } = found;
      if (tag !== undefined) record.repoTags = record.repoTags.filter((t) => t !== tag);
      if (tag === undefined || record.repoTags.length === 0) this.images.delete(record.id);
      await this.index.save();
      return true;
    }, options);
  }

  /**
   * Pushes a stored image to a registry reference (its blobs must have been
   * kept: open the store with keepLayerBlobs). Returns the manifest digest.
   */
  async push(image: string, destination: string, options: { signal?: AbortSignal; chunkSize?: number } = {}): Promise<Digest> {
    return this.track(async () => {
      const record = this.find(image);
      if (record === undefined) throw new ImageStoreError('NOT_FOUND', `image ${JSON.stringify(image)} is not in the store`);
      const dst = this.parse(destination);
      for (const blob of [record.manifest, ...record.layers]) {
        if (!(await this.content.has(blob.digest))) {
          throw new ImageStoreError('NOT_FOUND', `blob ${blob.digest} of ${image} is not kept in the store (open it with keepLayerBlobs to push)`);
        }
      }
      const registry = this.registry;
      const manifestBytes = await this.content.read(record.manifest.digest, options);
      const manifest = JSON.parse(manifestBytes.toString('utf8')) as { config: { digest: Digest; size: number } };
      for (const blob of [manifest.config, ...record.layers]) {
        await registry.pushBlob(dst, blob, () => this.content.createReadStream(blob.digest), { signal: options.signal, chunkSize: options.chunkSize });
      }
      return registry.pushManifest(dst, manifestBytes, record.manifest.mediaType, { signal: options.signal });
    });
  }

  /**
   * Creates the writable rootfs `id` for a container of `image` (an overlay
   * mount, or a copy), pinning the image's snapshots until removeRootfs.
   */
  async createRootfs(id: string, image: string, options: RootfsOptions = {}): Promise<Rootfs> {
    // Under the lock: once the rootfs record (the snapshots' pin) is written, gc in any process keeps them.
    return this.lock.run(async () => {
      const record = this.find(image);
      if (record === undefined) throw new ImageStoreError('NOT_FOUND', `image ${JSON.stringify(image)} is not in the store`);
      return this.snapshots.createRootfs(id, record.chainIds, options);
    }, options);
  }

  /**
   * The container rootfs made on an image, by any process sharing the store (each rootfs record
   * on disk names the layers it sits on, containers/storage's per-layer reference record).
   */
  async rootfsUsers(image: string, options: { signal?: AbortSignal } = {}): Promise<string[]> {
    const record = this.find(image);
    if (record === undefined) return [];
    const chain = record.chainIds.join();
    return (await this.snapshots.listRootfs(options)).filter((r) => r.chainIds.join() === chain).map((r) => r.id);
  }

  /** What container `id` wrote to its rootfs (bytes and inodes); undefined when it has none. */
  async rootfsUsage(id: string, options: { signal?: AbortSignal } = {}): Promise<FsUsage | undefined> {
    return this.snapshots.rootfsUsage(id, options);
  }

  /** Unmounts and deletes a container rootfs; false when there was none. */
  async removeRootfs(id: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    return this.snapshots.removeRootfs(id, options);
  }

  /**
   * Removes snapshots and blobs that no image and no rootfs uses, and partial downloads. With
   * `pruneUnnamed`, images with neither a tag nor a digest name go first (a build's
   * intermediate images: its layer cache).
   */
  async gc(options: { signal?: AbortSignal; pruneUnnamed?: boolean } = {}): Promise<GcResult> {
    if (this.active.size > 0) throw new ImageStoreError('IN_USE', 'gc while pulls, imports, builds or exports are running');
    return this.lock.run(async () => {
      const busy = await this.leases.others();
      if (busy.length > 0) throw new ImageStoreError('IN_USE', `gc while pulls, imports, builds or exports of process ${[...new Set(busy)].join(', ')} are running`);
      const images = this.fresh();
      if (options.pruneUnnamed) {
        const unnamed = [...images.values()].filter((r) => r.repoTags.length === 0 && r.repoDigests.length === 0);
        for (const r of unnamed) images.delete(r.id);
        if (unnamed.length > 0) await this.index.save();
      }
      return this.collect(options);
    }, options);
  }

  /** Deletes what no image and no rootfs record uses; runs under the lock with no operation of any process active. */
  private async collect(options: { signal?: AbortSignal }): Promise<GcResult> {
    const liveSnapshots = await this.snapshots.inUse();
    const liveBlobs = new Set<string>();
    for (const r of this.images.values()) {
      r.chainIds.forEach((c) => liveSnapshots.add(c));
      liveBlobs.add(r.id);
      liveBlobs.add(r.manifest.digest);
      if (r.index) liveBlobs.add(r.index.digest);
      r.layers.forEach((l) => liveBlobs.add(l.digest));
    }
    let removedSnapshots = 0;
    for (const c of await this.snapshots.list()) {
      throwIfAborted(options.signal, 'gc');
      if (!liveSnapshots.has(c) && (await this.snapshots.remove(c))) removedSnapshots++;
    }
    let removedBlobs = 0;
    for (const b of await this.content.list()) {
      throwIfAborted(options.signal, 'gc');
      if (!liveBlobs.has(b.digest) && (await this.content.delete(b.digest))) removedBlobs++;
    }
    await this.content.clearIngests();
    await this.snapshots.clearTemps();
    return { removedBlobs, removedSnapshots };
  }

  /** Bytes and inodes used under the store's root (snapshots, blobs, rootfs upper dirs). */
  async fsUsage(options: { signal?: AbortSignal } = {}): Promise<FsUsage> {
    return measureUsage(this.root, options);
  }

  /**
   * Waits for running pulls and metadata writes, and closes the registry client and host helper
   * it made (given ones stay open). Rootfs mounts stay (containers outlive the store object).
   */
  async close(): Promise<void> {
    await Promise.allSettled([...this.active]);
    await this.lock.run(async () => undefined).catch(() => undefined);
    this.index.close();
    await Promise.all(this.#retiring);
    if (this.#ownsRegistry) await this.registry.close();
    await this.snapshots.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

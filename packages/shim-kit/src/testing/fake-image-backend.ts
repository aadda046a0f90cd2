import { createHash } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { formatImageReference, isOciSpecError, parseImageReference, referenceName, type ImageConfig } from '@shimkit/oci-spec';
import { ShimError } from '../errors.js';
import type { FilesystemUsageInfo, ImageBackend, ImageRecord, PreparedRootfs, RegistryAuth } from '../interfaces/image-backend.js';
import type { OperationOptions } from '../interfaces/operation-options.js';
import { CallRecorder } from './call-recorder.js';

/** Methods of {@link FakeImageBackend} that record calls and accept injected errors. */
export type FakeImageMethod = 'pull' | 'status' | 'list' | 'remove' | 'fsInfo' | 'prepareRootfs' | 'releaseRootfs' | 'rootfsUsage';

/** An image the fake registry serves. */
export interface FakeRemoteImage {
  config?: ImageConfig;
  size?: bigint;
  /** When set, a pull must carry these credentials (else `Unauthenticated`). */
  auth?: { username: string; password: string };
}

/** Options of {@link FakeImageBackend}. */
export interface FakeImageBackendOptions {
  /** Create real (empty) rootfs directories under this path; default: paths that do not exist. */
  rootfsDir?: string;
  /** Only images added with `addRemote` can be pulled (default: any valid reference pulls, like cri-api's fake). */
  strict?: boolean;
}

const DEFAULT_CONFIG: ImageConfig = {
  architecture: 'amd64',
  os: 'linux',
  config: { Cmd: ['sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
  rootfs: { type: 'layers', diff_ids: [] },
} as ImageConfig;

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

function normalize(ref: string): string {
  try {
    return formatImageReference(parseImageReference(ref));
  } catch (e) {
    if (isOciSpecError(e)) throw new ShimError('InvalidArgument', `invalid image reference ${JSON.stringify(ref)}: ${e.message}`, { cause: e });
    throw e;
  }
}

/**
 * An in-memory ImageBackend: a fake registry (`addRemote`, or anything in non-strict mode),
 * pulled images with stable ids (sha256 of name and config), credentials checks, call
 * recording and error injection. Rootfs paths are made up, or empty directories under
 * `rootfsDir`.
 */
export class FakeImageBackend extends CallRecorder<FakeImageMethod> implements ImageBackend {
  readonly #remote = new Map<string, FakeRemoteImage>();
  readonly #images = new Map<string, ImageRecord>();
  readonly #rootfs = new Map<string, { imageId: string; path: string }>();
  readonly #usage = new Map<string, { usedBytes: bigint; inodesUsed: bigint }>();
  readonly #options: FakeImageBackendOptions;

  constructor(options: FakeImageBackendOptions = {}) {
    super();
    this.#options = options;
  }

  /** Makes a reference pullable, with its config, size and required credentials. */
  addRemote(ref: string, image: FakeRemoteImage = {}): void {
    this.#remote.set(normalize(ref), image);
  }

  /** Puts an image in the store as if pulled, and returns it. */
  addImage(ref: string, image: Omit<FakeRemoteImage, 'auth'> = {}): ImageRecord {
    const name = normalize(ref);
    const config = structuredClone(image.config ?? DEFAULT_CONFIG);
    const id = `sha256:${sha256(JSON.stringify(config) + name)}`;
    const existing = this.#images.get(id);
    const parsed = parseImageReference(name);
    const record: ImageRecord = existing ?? {
      id,
      repoTags: [],
      repoDigests: [],
      size: image.size ?? 1_000_000n,
      config,
      pinned: false,
    };
    if (!record.repoTags.includes(name) && parsed.digest === undefined) record.repoTags.push(name);
    const digest = parsed.digest ?? `sha256:${sha256(`manifest:${id}`)}`;
    const repoDigest = `${referenceName(parsed)}@${digest}`;
    if (!record.repoDigests.includes(repoDigest)) record.repoDigests.push(repoDigest);
    this.#images.set(id, record);
    return structuredClone(record);
  }

  /** Rootfs prepared and not released, by container id. */
  preparedRootfs(): Map<string, { imageId: string; path: string }> {
    return new Map(this.#rootfs);
  }

  async pull(ref: string, options: OperationOptions & { auth?: RegistryAuth } = {}): Promise<ImageRecord> {
    this.enter('pull', [ref, options.auth === undefined ? undefined : { ...options.auth }], options.signal);
    const name = normalize(ref);
    const remote = this.#remote.get(name);
    if (remote === undefined && this.#options.strict === true) throw new ShimError('NotFound', `image ${name} not found in the fake registry`);
    if (remote?.auth !== undefined) {
      const given = credentials(options.auth);
      if (given?.username !== remote.auth.username || given.password !== remote.auth.password) {
        throw new ShimError('Unauthenticated', `pulling ${name}: wrong or missing credentials`);
      }
    }
    return this.addImage(name, { ...(remote?.config === undefined ? {} : { config: remote.config }), ...(remote?.size === undefined ? {} : { size: remote.size }) });
  }

  async status(ref: string, options: OperationOptions = {}): Promise<ImageRecord | undefined> {
    this.enter('status', [ref], options.signal);
    const found = this.#find(ref);
    return found === undefined ? undefined : structuredClone(found);
  }

  async list(options: OperationOptions = {}): Promise<ImageRecord[]> {
    this.enter('list', [], options.signal);
    return [...this.#images.values()].map((i) => structuredClone(i));
  }

  async remove(ref: string, options: OperationOptions = {}): Promise<void> {
    this.enter('remove', [ref], options.signal);
    const image = this.#find(ref);
    if (image === undefined) return;
    if (ref === image.id || ref === image.id.slice('sha256:'.length)) {
      this.#images.delete(image.id);
      return;
    }
    const name = normalize(ref);
    image.repoTags = image.repoTags.filter((t) => t !== name);
    image.repoDigests = image.repoDigests.filter((d) => d !== name);
    if (image.repoTags.length === 0) this.#images.delete(image.id);
  }

  async fsInfo(options: OperationOptions = {}): Promise<{ images: FilesystemUsageInfo[]; containers: FilesystemUsageInfo[] }> {
    this.enter('fsInfo', [], options.signal);
    const used = [...this.#images.values()].reduce((a, i) => a + i.size, 0n);
    return {
      images: [{ mountpoint: this.#options.rootfsDir ?? '/var/lib/shimkit-fake/images', usedBytes: used, inodesUsed: BigInt(this.#images.size) }],
      containers: [],
    };
  }

  async prepareRootfs(containerId: string, imageId: string, options: OperationOptions = {}): Promise<PreparedRootfs> {
    this.enter('prepareRootfs', [containerId, imageId], options.signal);
    if (!this.#images.has(imageId)) throw new ShimError('NotFound', `image ${imageId} not found`);
    if (this.#rootfs.has(containerId)) throw new ShimError('AlreadyExists', `rootfs for container ${containerId} already prepared`);
    const dir = this.#options.rootfsDir;
    const path = dir === undefined ? `/nonexistent/shimkit-fake-rootfs/${containerId}` : join(dir, containerId);
    if (dir !== undefined) await mkdir(path, { recursive: true });
    this.#rootfs.set(containerId, { imageId, path });
    return { path };
  }

  async releaseRootfs(containerId: string, options: OperationOptions = {}): Promise<void> {
    this.enter('releaseRootfs', [containerId], options.signal);
    const prepared = this.#rootfs.get(containerId);
    if (prepared === undefined) return;
    if (this.#options.rootfsDir !== undefined) await rm(prepared.path, { recursive: true, force: true });
    this.#rootfs.delete(containerId);
  }

  /**
   * The writable-layer usage of a prepared rootfs: what {@link setRootfsUsage} set (default 4096
   * bytes, 1 inode), measured at the rootfs path; undefined for a container without one.
   */
  async rootfsUsage(containerId: string, options: OperationOptions = {}): Promise<FilesystemUsageInfo | undefined> {
    this.enter('rootfsUsage', [containerId], options.signal);
    const prepared = this.#rootfs.get(containerId);
    if (prepared === undefined) return undefined;
    return { mountpoint: prepared.path, usedBytes: 4096n, inodesUsed: 1n, ...this.#usage.get(containerId) };
  }

  /** Sets what {@link rootfsUsage} reports for a container. */
  setRootfsUsage(containerId: string, usage: { usedBytes: bigint; inodesUsed: bigint }): void {
    this.#usage.set(containerId, { ...usage });
  }

  async close(): Promise<void> {}

  #find(ref: string): ImageRecord | undefined {
    const byId = this.#images.get(ref) ?? this.#images.get(`sha256:${ref}`);
    if (byId !== undefined) return byId;
    const name = normalize(ref);
    return [...this.#images.values()].find((i) => i.repoTags.includes(name) || i.repoDigests.includes(name));
  }
}

function credentials(auth: RegistryAuth | undefined): { username: string; password: string } | undefined {
  if (auth === undefined) return undefined;
  if (auth.username !== undefined) return { username: auth.username, password: auth.password ?? '' };
  if (auth.auth !== undefined) {
    const text = Buffer.from(auth.auth, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    if (colon > 0) return { username: text.slice(0, colon), password: text.slice(colon + 1) };
  }
  return undefined;
}

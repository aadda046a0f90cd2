import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Descriptor, Digest, ImageConfig, Manifest, MediaType, Platform } from '@shimkit/oci-spec';
import { formatImageReference, hostPlatform, MediaType as MT, parseImageReference, referenceName } from '@shimkit/oci-spec';
import type { ContentStore } from '../content/content-store.js';
import { ImageStoreError, throwIfAborted } from '../errors.js';
import type { ImageRecord } from '../images/image-record.js';
import { unpackLayer } from '../pull/pull-image.js';
import { chainIds } from '../snapshot/chain-id.js';
import type { SnapshotStore } from '../snapshot/snapshot-store.js';
import { tarDirectory } from '../tar/tar-directory.js';
import type { TarWriteEntry } from '../tar/tar-writer.js';
import { encodeTarEntry, TAR_END } from '../tar/tar-writer.js';

/** Config fields a build step may set (Docker/OCI image config names). */
export interface ImageConfigChanges {
  entrypoint?: string[];
  cmd?: string[];
  /** Added to (and overriding by name) the base image's environment. */
  env?: Record<string, string>;
  user?: string;
  workingDir?: string;
  /** Added to the base image's labels. */
  labels?: Record<string, string>;
  /** Like `80/tcp`. */
  exposedPorts?: string[];
  stopSignal?: string;
}

/** A file given inline to a build step. */
export interface BuildFile {
  path: string;
  data: string | Buffer;
  mode?: number;
  uid?: number;
  gid?: number;
}

type Source = { kind: 'dir'; dir: string; to: string } | { kind: 'files'; files: BuildFile[] } | { kind: 'tar'; tar: () => AsyncIterable<Buffer>; snapshot?: (dir: string) => Promise<void> };

/** An image history entry (image-spec `history`), as a build step describes itself. */
export interface HistoryStep {
  created_by: string;
  comment?: string;
  /** True when the step made no layer. */
  empty_layer?: boolean;
}

/** Options of {@link ImageBuilder.commit}. */
export interface CommitOptions {
  comment?: string;
  /** History entries for this commit, in order (default: one for the builder itself). */
  history?: HistoryStep[];
  signal?: AbortSignal;
}

export interface BuilderDeps {
  content: ContentStore;
  snapshots: SnapshotStore;
  record: (image: Omit<ImageRecord, 'createdAt'>) => Promise<ImageRecord>;
  /** Marks an operation that garbage collection must not overlap. */
  track?: <T>(operation: () => Promise<T>) => Promise<T>;
}

function clean(path: string): string {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new ImageStoreError('INVALID_ARGUMENT', `build path ${JSON.stringify(path)} may not contain ".."`);
  return parts.join('/');
}

/**
 * Builds images layer by layer, as buildah does: start from an image in the
 * store or from scratch, add directories or files (each commit with additions
 * makes one gzip layer), change the config, and commit under a name. Every
 * commit is a complete image in the store, usable for a rootfs or a push.
 */
export class ImageBuilder {
  private sources: Source[] = [];
  private changes: ImageConfigChanges = {};
  private edits: ((config: NonNullable<ImageConfig['config']>) => void)[] = [];

  constructor(private readonly deps: BuilderDeps, private base: ImageRecord | undefined, private readonly platform: Platform = hostPlatform()) {}

  /** Adds a directory tree's content under `to` (default: the root) in the next layer. */
  addDirectory(dir: string, options: { to?: string } = {}): this {
    this.sources.push({ kind: 'dir', dir, to: clean(options.to ?? '/') });
    return this;
  }

  /** Adds files in the next layer; parent directories are created as 0755. */
  addFiles(files: BuildFile[]): this {
    this.sources.push({ kind: 'files', files: files.map((f) => ({ ...f, path: clean(f.path) })) });
    return this;
  }

  /**
   * Adds tar entries (whiteouts and all, but without the end-of-archive blocks) in the next
   * layer. `tar` is called once, when the layer is written. When it is the layer's only source
   * and the snapshots are overlay ones, `snapshot` may fill the layer's snapshot directory
   * itself (after the layer is written), instead of the tar being unpacked there: an overlay
   * upper directory the tar was made from can simply be moved there.
   */
  addLayerTar(tar: () => AsyncIterable<Buffer>, options: { snapshot?: (dir: string) => Promise<void> } = {}): this {
    this.sources.push({ kind: 'tar', tar, ...(options.snapshot ? { snapshot: options.snapshot } : {}) });
    return this;
  }

  /** Edits the image config at the next commit, after `configure`'s changes (fields the changes do not name: Volumes, Healthcheck, Shell, OnBuild, ...). */
  editConfig(edit: (config: NonNullable<ImageConfig['config']>) => void): this {
    this.edits.push(edit);
    return this;
  }

  /** Changes the image config at the next commit. */
  configure(changes: ImageConfigChanges): this {
    this.changes = { ...this.changes, ...changes, env: { ...this.changes.env, ...changes.env }, labels: { ...this.changes.labels, ...changes.labels } };
    return this;
  }

  private async *layerTar(mtime: number, signal?: AbortSignal): AsyncGenerator<Buffer> {
    const dirsDone = new Set<string>();
    const parents = function* (path: string): Generator<Buffer> {
      const parts = path.split('/');
      for (let i = 1; i < parts.length; i++) {
        const dir = parts.slice(0, i).join('/');
        if (dirsDone.has(dir)) continue;
        dirsDone.add(dir);
        yield encodeTarEntry({ path: `${dir}/`, type: 'directory', mode: 0o755, mtime });
      }
    };
    for (const source of this.sources) {
      if (source.kind === 'tar') {
        yield* source.tar();
      } else if (source.kind === 'dir') {
        if (source.to !== '') yield* parents(`${source.to}/x`);
        yield* tarDirectory(source.dir, { prefix: source.to, end: false, signal });
      } else {
        for (const f of source.files) {
          yield* parents(f.path);
          const entry: TarWriteEntry = { path: f.path, type: 'file', data: f.data, mode: f.mode ?? 0o644, uid: f.uid ?? 0, gid: f.gid ?? 0, mtime };
          yield encodeTarEntry(entry);
        }
      }
    }
    yield TAR_END;
  }

  private async writeLayer(mtime: number, signal?: AbortSignal): Promise<{ descriptor: Descriptor; diffId: Digest }> {
    const diffHash = createHash('sha256');
    const tar = this.layerTar(mtime, signal);
    const hashed = (async function* () {
      for await (const chunk of tar) {
        diffHash.update(chunk);
        yield chunk;
      }
    })();
    const gzip = createGzip();
    const feeding = pipeline(Readable.from(hashed), gzip);
    feeding.catch(() => undefined);
    const info = await this.deps.content.putStream(gzip, { signal });
    await feeding;
    return {
      descriptor: { mediaType: MT.OciLayerGzip, digest: info.digest, size: info.size },
      diffId: `sha256:${diffHash.digest('hex')}` as Digest,
    };
  }

  private nextConfig(base: ImageConfig | undefined, diffIds: Digest[], created: string, options: CommitOptions, emptyLayer: boolean): ImageConfig {
    const c = this.changes;
    const old = base?.config ?? {};
    const env = new Map((old.Env ?? []).map((e) => [e.split('=')[0]!, e] as const));
    for (const [k, v] of Object.entries(c.env ?? {})) env.set(k, `${k}=${v}`);
    const config: NonNullable<ImageConfig['config']> = { ...old };
    if (env.size > 0) config.Env = [...env.values()];
    if (c.entrypoint) config.Entrypoint = c.entrypoint;
    if (c.cmd) config.Cmd = c.cmd;
    if (c.user !== undefined) config.User = c.user;
    if (c.workingDir !== undefined) config.WorkingDir = c.workingDir;
    if (c.stopSignal !== undefined) config.StopSignal = c.stopSignal;
    if (c.labels && Object.keys(c.labels).length > 0) config.Labels = { ...old.Labels, ...c.labels };
    if (c.exposedPorts) config.ExposedPorts = { ...old.ExposedPorts, ...Object.fromEntries(c.exposedPorts.map((p) => [p, {}])) };
    for (const edit of this.edits) edit(config);
    const history = options.history?.map((h) => ({ created, ...h })) ?? [
      { created, created_by: 'shimkit image builder', ...(options.comment ? { comment: options.comment } : {}), ...(emptyLayer ? { empty_layer: true } : {}) },
    ];
    return {
      ...(base ?? {}),
      created,
      architecture: base?.architecture ?? this.platform.architecture,
      os: base?.os ?? this.platform.os,
      ...(base?.variant ?? this.platform.variant ? { variant: base?.variant ?? this.platform.variant } : {}),
      config,
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: [...(base?.history ?? []), ...history],
    } as ImageConfig;
  }

  /**
   * Writes the pending layer (if anything was added) and config, and records
   * the image under `name` (`undefined`: an image with no name, like a build's
   * intermediate images, which gc({ pruneUnnamed: true }) removes). The
   * builder then continues from the new image.
   */
  async commit(name: string | undefined, options: CommitOptions = {}): Promise<ImageRecord> {
    return this.deps.track ? this.deps.track(() => this.commitNow(name, options)) : this.commitNow(name, options);
  }

  private async commitNow(name: string | undefined, options: CommitOptions): Promise<ImageRecord> {
    const { signal } = options;
    let ref;
    try {
      ref = name === undefined ? undefined : parseImageReference(name);
    } catch (e) {
      throw new ImageStoreError('INVALID_ARGUMENT', `invalid image name ${JSON.stringify(name)}: ${(e as Error).message}`, { cause: e });
    }
    if (ref?.digest !== undefined) throw new ImageStoreError('INVALID_ARGUMENT', `an image name to commit cannot have a digest: ${name}`);
    const created = new Date().toISOString();
    const layers = [...(this.base?.layers ?? [])];
    const diffIds = [...(this.base?.diffIds ?? [])];
    const added = this.sources.length > 0 ? await this.writeLayer(Math.floor(Date.parse(created) / 1000), signal) : undefined;
    if (added) {
      layers.push(added.descriptor);
      diffIds.push(added.diffId);
    }
    throwIfAborted(signal, 'commit');
    const chain = chainIds(diffIds);
    if (added) {
      const only = this.sources.length === 1 ? this.sources[0] : undefined;
      const fill = only?.kind === 'tar' ? only.snapshot : undefined;
      await this.deps.snapshots.create(
        chain,
        (c) => (fill !== undefined && c.kind === 'overlay' ? fill(c.dir) : unpackLayer(c, this.deps.content.createReadStream(added.descriptor.digest), added.descriptor, added.diffId)),
        { signal },
      );
    }
    const config = this.nextConfig(this.base?.config, diffIds, created, options, added === undefined);
    const configInfo = await this.deps.content.put(JSON.stringify(config), { signal });
    const manifest: Manifest = {
      schemaVersion: 2,
      mediaType: MT.OciManifest,
      config: { mediaType: MT.OciConfig, digest: configInfo.digest, size: configInfo.size },
      layers,
    };
    const manifestInfo = await this.deps.content.put(JSON.stringify(manifest), { signal });
    const manifestDesc: Descriptor = { mediaType: MT.OciManifest as MediaType, digest: manifestInfo.digest, size: manifestInfo.size };
    const record = await this.deps.record({
      id: configInfo.digest,
      repoTags: ref === undefined ? [] : [formatImageReference({ domain: ref.domain, path: ref.path, tag: ref.tag ?? 'latest' })],
      repoDigests: ref === undefined ? [] : [`${referenceName(ref)}@${manifestInfo.digest}`],
      manifest: manifestDesc,
      config,
      layers,
      diffIds,
      chainIds: chain,
      size: manifestInfo.size + configInfo.size + layers.reduce((n, l) => n + l.size, 0),
      platform: { architecture: config.architecture, os: config.os },
    });
    this.base = record;
    this.sources = [];
    this.changes = {};
    this.edits = [];
    return record;
  }
}

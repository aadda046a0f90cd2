import type { Descriptor, Digest, ImageConfig, ImageReference, Platform } from '@shimkit/oci-spec';
import { formatImageReference, referenceName, tryParseDigest } from '@shimkit/oci-spec';
import { compressionOfMediaType, decompress } from '../compression/decompress.js';
import type { ContentStore } from '../content/content-store.js';
import { verifyStream } from '../content/verify-stream.js';
import { abortError, ImageStoreError, throwIfAborted } from '../errors.js';
import type { ImageRecord } from '../images/image-record.js';
import { applyLayer } from '../layer/apply-layer.js';
import type { RegistryCredentials } from '../registry/credentials.js';
import type { FetchedManifest, RegistryClient, ResolvedImage } from '../registry/registry-client.js';
import type { SignaturePolicyEnforcer } from '../signature/policy-enforcer.js';
import { chainIds } from '../snapshot/chain-id.js';
import type { SnapshotFillContext, SnapshotStore } from '../snapshot/snapshot-store.js';
import { limiter } from './limit.js';
import { isWasmArtifact, unpackWasmLayer, wasmArtifactConfig, wasmLayerFileNames } from './wasm-artifact.js';

/** Progress of a pull, reported per layer. */
export interface PullProgress {
  /** The layer blob. */
  digest: Digest;
  /** Compressed bytes received so far. */
  downloaded: number;
  total: number;
  /** `exists`: already unpacked; `downloading`: bytes are flowing; `done`: unpacked and verified. */
  status: 'exists' | 'downloading' | 'done';
}

export interface PullOptions {
  /** Platform to pick from a multi-platform index (default: this host's). */
  platform?: Platform;
  signal?: AbortSignal;
  onProgress?: (progress: PullProgress) => void;
  /** Abort when no byte arrived (and no layer finished) for this long. */
  progressTimeoutMs?: number;
  /** Credentials for the image's registry for this pull only (e.g. a CRI PullImage AuthConfig). */
  credentials?: RegistryCredentials;
  /**
   * Decides whether the image may be stored (a signature policy), given the manifest or index
   * the reference names, before anything of it is written; throwing refuses it.
   */
  admit?: (top: FetchedManifest, signal: AbortSignal) => Promise<void>;
}

/** Where an image's manifest and blobs come from: a registry, or an OCI layout on disk. */
export interface ImageSource {
  /** Human-readable name for messages. */
  readonly name: string;
  /** The image manifest (and the index it came through), verified. */
  resolve(options: { platform?: Platform; signal: AbortSignal }): Promise<Pick<ResolvedImage, 'index' | 'manifest'>>;
  /** The blob's bytes from `offset` on, unverified (the caller verifies). */
  open(descriptor: Descriptor, offset: number, signal: AbortSignal): AsyncIterable<Uint8Array>;
}

/** An image source reading from a registry. */
export function registrySource(registry: RegistryClient, ref: ImageReference): ImageSource {
  return {
    name: formatImageReference(ref),
    resolve: ({ platform, signal }) => registry.resolve(ref, { platform, signal }),
    open: (descriptor, offset, signal) => registry.blob(ref, descriptor, { offset, verify: false, signal }),
  };
}

/** What the pipeline works with. */
export interface PullContext {
  content: ContentStore;
  snapshots: SnapshotStore;
  /** Keep compressed layer blobs in the content store (for push/copy/export). */
  keepLayerBlobs: boolean;
  /** Layers transferred at once. */
  concurrency: number;
  /** Enforced on every registry pull before anything is stored. */
  policy?: SignaturePolicyEnforcer;
}

function parseConfig(bytes: Buffer, layers: number): { config: ImageConfig; diffIds: Digest[] } {
  let config: ImageConfig;
  try {
    config = JSON.parse(bytes.toString('utf8')) as ImageConfig;
  } catch (e) {
    throw new ImageStoreError('REGISTRY_PROTOCOL', `image config is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  const raw = (config as { rootfs?: { diff_ids?: unknown } }).rootfs?.diff_ids;
  if (!Array.isArray(raw)) throw new ImageStoreError('REGISTRY_PROTOCOL', 'image config has no rootfs.diff_ids');
  const diffIds = raw.map((d, i) => {
    const digest = tryParseDigest(d);
    if (digest === undefined) throw new ImageStoreError('REGISTRY_PROTOCOL', `image config rootfs.diff_ids[${i}] is not a digest: ${JSON.stringify(d)}`);
    return digest;
  });
  if (diffIds.length !== layers) throw new ImageStoreError('REGISTRY_PROTOCOL', `image config lists ${diffIds.length} diff ids for ${layers} layers`);
  return { config, diffIds };
}

/** Aborts `controller` when `touch()` is not called for `ms`. */
function watchdog(controller: AbortController, ms: number | undefined, what: string): { touch(): void; stop(): void } {
  if (ms === undefined) return { touch: () => undefined, stop: () => undefined };
  let timer: NodeJS.Timeout | undefined;
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new ImageStoreError('PROGRESS_TIMEOUT', `${what}: no progress for ${ms} ms`)), ms);
  };
  touch();
  return { touch, stop: () => clearTimeout(timer) };
}

/**
 * Pulls one image: resolves the reference (index -> platform manifest),
 * stores manifest and config, then fetches the missing layers concurrently,
 * each decompressed and applied into its snapshot while it downloads. Both
 * the compressed digest and the diff id are verified before a snapshot is
 * committed. Returns the image's record (names filled in from `ref`).
 */
export async function pullImage(ctx: PullContext & { registry: RegistryClient }, ref: ImageReference, options: PullOptions = {}): Promise<Omit<ImageRecord, 'createdAt'>> {
  const withPolicy = (client: RegistryClient): PullOptions => {
    const { policy } = ctx;
    if (policy === undefined) return options;
    return {
      ...options,
      admit: async (top, signal) => {
        await policy.check({ transport: 'docker', ref }, top, { registry: () => client, signal });
        await options.admit?.(top, signal);
      },
    };
  };
  if (options.credentials === undefined) return unpackImage(ctx, registrySource(ctx.registry, ref), ref, withPolicy(ctx.registry));
  const client = ctx.registry.withCredentials(ref.domain, options.credentials);
  try {
    return await unpackImage(ctx, registrySource(client, ref), ref, withPolicy(client));
  } finally {
    await client.close();
  }
}

/**
 * The pipeline behind pullImage, for any ImageSource; `ref` names the result
 * (its tag becomes a repo tag, its name@digest a repo digest).
 */
export async function unpackImage(ctx: PullContext, source: ImageSource, ref: ImageReference, options: PullOptions = {}): Promise<Omit<ImageRecord, 'createdAt'>> {
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) throw abortError(options.signal, 'pull');
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const signal = controller.signal;
  const name = formatImageReference(ref);
  const dog = watchdog(controller, options.progressTimeoutMs, `pull of ${name}`);
  try {
    const resolved = await source.resolve({ platform: options.platform, signal });
    dog.touch();
    const { manifest } = resolved;
    await options.admit?.(resolved.index ?? manifest, signal);
    for (const m of [resolved.index, manifest]) {
      if (m !== undefined) await ctx.content.ingest(m.descriptor.digest, () => [m.bytes], { size: m.bytes.length, signal });
    }
    const doc = manifest.document.manifest;
    const configDesc = doc.config;
    const configInfo = await ctx.content.ingest(configDesc.digest, (offset) => source.open(configDesc, offset, signal), { size: configDesc.size, signal });
    const configBytes = await ctx.content.read(configInfo.digest, { signal });
    // a Wasm OCI artifact's layers are modules, each stored as one file, not tar changesets
    const wasmNames = isWasmArtifact(doc) ? wasmLayerFileNames(doc.layers) : undefined;
    const { config, diffIds } = wasmNames === undefined ? parseConfig(configBytes, doc.layers.length) : wasmArtifactConfig(configBytes, doc.layers);
    const fillLayer = (c: SnapshotFillContext, bytes: AsyncIterable<Uint8Array>, i: number): Promise<void> =>
      wasmNames === undefined ? unpackLayer(c, bytes, doc.layers[i]!, diffIds[i]!) : unpackWasmLayer(c, bytes, doc.layers[i]!, wasmNames[i]!);
    const chain = chainIds(diffIds);
    dog.touch();

    const run = limiter(Math.max(1, ctx.concurrency));
    let firstError: { error: unknown } | undefined;
    const jobs: Array<Promise<void>> = [];
    doc.layers.forEach((layer, i) => {
      const lowerReady = () => Promise.all(jobs.slice(0, i)).then(() => undefined);
      const job = (async () => {
        if (await ctx.snapshots.has(chain[i]!)) {
          options.onProgress?.({ digest: layer.digest, downloaded: layer.size, total: layer.size, status: 'exists' });
          return;
        }
        // Copy snapshots build on their parent's tree, so they are made in order; downloads still overlap.
        const download = ctx.keepLayerBlobs || ctx.snapshots.kind === 'copy' ? run(() => fetchToStore(ctx, source, layer, options, dog, signal)) : undefined;
        // Awaited below; marked handled now in case a lower layer fails first and this job stops early.
        download?.catch(() => undefined);
        if (ctx.snapshots.kind === 'copy') await lowerReady();
        const unpack = (fill: (c: SnapshotFillContext) => Promise<void>) => ctx.snapshots.create(chain.slice(0, i + 1), fill, { signal, lowerReady });
        if (download !== undefined) {
          await download;
          await unpack((c) => fillLayer(c, ctx.content.createReadStream(layer.digest), i));
          if (!ctx.keepLayerBlobs) await ctx.content.delete(layer.digest);
        } else {
          await run(() => unpack((c) => fillLayer(c, countingStream(verifyStream(source.open(layer, 0, signal), layer, 'layer'), layer, options, dog), i)));
        }
        dog.touch();
        options.onProgress?.({ digest: layer.digest, downloaded: layer.size, total: layer.size, status: 'done' });
      })();
      // The first failure stops the other layers.
      job.catch((e: unknown) => {
        firstError ??= { error: e };
        controller.abort(e);
      });
      jobs.push(job);
    });
    // Settle every job before reporting, so no layer keeps writing after the pull failed.
    await Promise.allSettled(jobs);
    if (firstError !== undefined) throw firstError.error;
    throwIfAborted(signal, `pull of ${name}`);

    const topDigest = resolved.index?.descriptor.digest ?? manifest.descriptor.digest;
    const record: Omit<ImageRecord, 'createdAt'> = {
      id: configDesc.digest,
      repoTags: ref.digest === undefined ? [formatImageReference({ domain: ref.domain, path: ref.path, tag: ref.tag ?? 'latest' })] : [],
      repoDigests: [`${referenceName(ref)}@${topDigest}`],
      manifest: manifest.descriptor,
      config,
      layers: doc.layers,
      diffIds,
      chainIds: chain,
      size: manifest.bytes.length + configDesc.size + doc.layers.reduce((n, l) => n + l.size, 0),
    };
    if (resolved.index !== undefined) record.index = resolved.index.descriptor;
    if (config.architecture !== undefined && config.os !== undefined) record.platform = { architecture: config.architecture, os: config.os, ...(config.variant ? { variant: config.variant } : {}) };
    return record;
  } catch (e) {
    if (signal.aborted && !options.signal?.aborted) throw signal.reason instanceof ImageStoreError ? signal.reason : e;
    if (options.signal?.aborted) throw abortError(options.signal, `pull of ${name}`);
    throw e;
  } finally {
    dog.stop();
    options.signal?.removeEventListener('abort', onOuterAbort);
  }
}

async function* countingStream(source: AsyncIterable<Buffer>, layer: Descriptor, options: PullOptions, dog: { touch(): void }): AsyncGenerator<Buffer> {
  let downloaded = 0;
  for await (const chunk of source) {
    downloaded += chunk.length;
    dog.touch();
    options.onProgress?.({ digest: layer.digest, downloaded, total: layer.size, status: 'downloading' });
    yield chunk;
  }
}

async function fetchToStore(ctx: PullContext, source: ImageSource, layer: Descriptor, options: PullOptions, dog: { touch(): void }, signal: AbortSignal): Promise<void> {
  await ctx.content.ingest(layer.digest, (offset) => source.open(layer, offset, signal), {
    size: layer.size,
    signal,
    onProgress: (downloaded) => {
      dog.touch();
      options.onProgress?.({ digest: layer.digest, downloaded, total: layer.size, status: 'downloading' });
    },
  });
}

/** Decompresses and applies one layer into a snapshot directory, checking the diff id of what was applied. */
export async function unpackLayer(ctx: SnapshotFillContext, compressed: AsyncIterable<Uint8Array>, layer: Descriptor, diffId: Digest): Promise<void> {
  const compression = compressionOfMediaType(layer.mediaType) ?? 'auto';
  const tar = verifyStream(decompress(compressed, compression, { label: `layer ${layer.digest}` }), { digest: diffId }, `uncompressed layer ${layer.digest}`);
  await applyLayer(ctx.dir, tar, {
    whiteouts: ctx.kind === 'overlay' ? 'overlay' : 'delete',
    lowerDirs: ctx.lowerDirs,
    helper: ctx.helper,
    signal: ctx.signal,
  });
}

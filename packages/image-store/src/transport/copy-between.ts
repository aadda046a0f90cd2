import { setMaxListeners } from 'node:events';
import type { Descriptor, Digest, Platform } from '@shimkit/oci-spec';
import { abortError, ImageStoreError, throwIfAborted } from '../errors.js';
import { limiter } from '../pull/limit.js';
import type { FetchedManifest } from '../registry/registry-client.js';
import type { BlobWriteResult, ImageReader, ImageWriter } from './image-transport.js';
import { chooseManifest } from './inspect-reader.js';

/** Progress of one blob of a copy. */
export interface BlobCopyProgress {
  digest: Digest;
  size: number;
  /** Bytes read from the source so far. */
  copied: number;
  /** `copying` while bytes flow; the final state once the destination has it. */
  status: 'copying' | BlobWriteResult;
}

export interface CopyBetweenOptions {
  /** Copy every platform of an index (the destination must hold indexes). Default: one platform. */
  all?: boolean;
  /** The platform picked out of an index when not `all` (default: this host's). */
  platform?: Platform;
  onProgress?: (progress: BlobCopyProgress) => void;
  /** Blobs (config and layers) copied at once (default 6, as skopeo). */
  concurrency?: number;
  /**
   * Decides whether the source's image may be copied (e.g. a signature policy), given the
   * manifest or index the source names, before anything is written; throwing refuses it.
   */
  admit?: (top: FetchedManifest, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
}

export interface CopyBetweenResult {
  /** Digest of what the destination now names (index or manifest). */
  digest: Digest;
  mediaType: string;
  blobs: Record<BlobWriteResult, number>;
}

/**
 * Copies an image from any reader to any writer, as skopeo copy does: blobs
 * first, config and layers a few at once (those the destination has are skipped,
 * same-registry ones mounted),
 * then manifests bottom-up, the index last; digests are preserved. On
 * failure the writer is told to discard what it wrote, and the error is
 * rethrown.
 */
export async function copyBetween(reader: ImageReader, writer: ImageWriter, options: CopyBetweenOptions = {}): Promise<CopyBetweenResult> {
  const { signal } = options;
  const blobs: Record<BlobWriteResult, number> = { exists: 0, mounted: 0, uploaded: 0 };

  const run = limiter(Math.max(1, options.concurrency ?? 6));
  const copyBlob = async (d: Descriptor, stop: AbortSignal | undefined) => {
    throwIfAborted(stop, `copy of ${reader.name}`);
    let copied = 0;
    const report = options.onProgress;
    async function* counted(): AsyncGenerator<Uint8Array> {
      for await (const chunk of reader.blob(d, stop, { verify: !writer.verifiesBlobs })) {
        copied += chunk.length;
        report?.({ digest: d.digest, size: d.size, copied, status: 'copying' });
        yield chunk;
      }
    }
    const result = await writer.putBlob(d, counted, { mountFrom: reader.repository, signal: stop });
    blobs[result]++;
    report?.({ digest: d.digest, size: d.size, copied: result === 'uploaded' ? copied : d.size, status: result });
  };
  // The first failure stops the other blobs; all have settled before it is reported, so none writes after the writer's abort().
  const copyBlobs = async (descriptors: readonly Descriptor[]) => {
    const inner = new AbortController();
    // Each blob in flight listens on it a few times (its requests, its file or upload).
    setMaxListeners(8 * Math.max(1, options.concurrency ?? 6), inner.signal);
    const onOuterAbort = () => inner.abort(signal?.reason);
    if (signal?.aborted) onOuterAbort();
    signal?.addEventListener('abort', onOuterAbort, { once: true });
    let first: { error: unknown } | undefined;
    try {
      await Promise.all(descriptors.map((d) => run(() => copyBlob(d, inner.signal)).catch((e: unknown) => {
        first ??= { error: e };
        inner.abort(e);
      })));
    } finally {
      signal?.removeEventListener('abort', onOuterAbort);
    }
    if (first !== undefined) throw first.error;
  };
  const copyImage = async (m: FetchedManifest) => {
    if (m.document.kind !== 'manifest') throw new ImageStoreError('UNSUPPORTED_MEDIA_TYPE', `${reader.name}: nested index ${m.descriptor.digest} is not supported`);
    // The config is one more small blob: copied beside the layers, not one round trip chain before them.
    await copyBlobs([m.document.manifest.config, ...m.document.manifest.layers]);
  };

  try {
    const top = await reader.top(signal);
    await options.admit?.(top, signal);
    let written: FetchedManifest;
    if (top.document.kind === 'manifest') {
      await copyImage(top);
      written = top;
    } else if (options.all) {
      if (!writer.acceptsIndex) throw new ImageStoreError('INVALID_ARGUMENT', `${writer.name} holds one platform's image; copy without --all, or to a destination that holds indexes`);
      for (const child of top.document.index.manifests) {
        const m = await reader.manifest(child, signal);
        await copyImage(m);
        await writer.putManifest(m, signal);
      }
      written = top;
    } else {
      written = await chooseManifest(reader, top, options.platform, signal);
      await copyImage(written);
    }
    throwIfAborted(signal, `copy of ${reader.name}`);
    const digest = await writer.commit(written, signal);
    return { digest, mediaType: written.descriptor.mediaType, blobs };
  } catch (e) {
    await writer.abort();
    // Whichever step noticed first, an interruption is reported as one.
    if (signal?.aborted) throw abortError(signal, `copy of ${reader.name}`);
    throw e;
  }
}

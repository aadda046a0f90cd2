import type { Descriptor, Digest, ImageReference, Platform } from '@shimkit/oci-spec';
import { parseImageReference } from '@shimkit/oci-spec';
import { ImageStoreError, throwIfAborted } from '../errors.js';
import type { SignaturePolicyEnforcer } from '../signature/policy-enforcer.js';
import type { FetchedManifest, RegistryClient } from './registry-client.js';

export interface CopyImageOptions {
  /** Copy only this platform's manifest out of an index (default: the whole index, every platform). */
  platform?: Platform;
  /** Client for the destination (default: the source client). */
  destination?: RegistryClient;
  /** PATCH chunk size for large blobs. */
  chunkSize?: number;
  signal?: AbortSignal;
  onBlob?: (event: { digest: Digest; size: number; result: 'exists' | 'mounted' | 'uploaded' }) => void;
  /** A signature policy the source image must satisfy; checked before anything is copied. */
  policy?: SignaturePolicyEnforcer;
}

export interface CopyImageResult {
  /** Digest of what was written at the destination (index or manifest). */
  digest: Digest;
  mediaType: string;
  blobs: { exists: number; mounted: number; uploaded: number };
}

function parse(ref: ImageReference | string): ImageReference {
  if (typeof ref !== 'string') return ref;
  try {
    return parseImageReference(ref);
  } catch (e) {
    throw new ImageStoreError('INVALID_ARGUMENT', `invalid image reference ${JSON.stringify(ref)}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Copies an image between repositories or registries, as skopeo copy does:
 * every blob is streamed from the source (or mounted across repositories on
 * the same registry), then manifests bottom-up, then the index, tagged with
 * the destination's tag. Digests are preserved.
 */
export async function copyImage(source: RegistryClient, srcIn: ImageReference | string, dstIn: ImageReference | string, options: CopyImageOptions = {}): Promise<CopyImageResult> {
  const src = parse(srcIn);
  const dst = parse(dstIn);
  const target = options.destination ?? source;
  const { signal } = options;
  const counts = { exists: 0, mounted: 0, uploaded: 0 };
  const sameRegistry = src.domain === dst.domain && target === source;

  const copyBlob = async (d: Pick<Descriptor, 'digest' | 'size'>) => {
    throwIfAborted(signal, 'copy');
    const result = await target.pushBlob(dst, d, () => source.blob(src, d, { signal }), {
      mountFrom: sameRegistry ? src.path : undefined,
      chunkSize: options.chunkSize,
      signal,
    });
    counts[result]++;
    options.onBlob?.({ digest: d.digest, size: d.size, result });
  };
  const copyManifest = async (m: FetchedManifest, tag: string | undefined) => {
    if (m.document.kind !== 'manifest') throw new ImageStoreError('UNSUPPORTED_MEDIA_TYPE', `nested index ${m.descriptor.digest} is not supported`);
    await copyBlob(m.document.manifest.config);
    for (const layer of m.document.manifest.layers) await copyBlob(layer);
    await target.pushManifest(dst, m.bytes, m.descriptor.mediaType, { tag: tag ?? m.descriptor.digest, signal });
  };

  const top = await source.getManifest(src, { signal });
  await options.policy?.check({ transport: 'docker', ref: src }, top, { registry: () => source, ...(signal ? { signal } : {}) });
  const tag = dst.digest === undefined ? (dst.tag ?? 'latest') : undefined;
  if (top.document.kind === 'manifest') {
    await copyManifest(top, tag);
    return { digest: top.descriptor.digest, mediaType: top.descriptor.mediaType, blobs: counts };
  }
  if (options.platform !== undefined) {
    const resolved = await source.resolve(src, { platform: options.platform, signal });
    await copyManifest(resolved.manifest, tag);
    return { digest: resolved.manifest.descriptor.digest, mediaType: resolved.manifest.descriptor.mediaType, blobs: counts };
  }
  for (const child of top.document.index.manifests) {
    const m = await source.getManifest(src, { digest: child.digest, signal });
    await copyManifest(m, undefined);
  }
  await target.pushManifest(dst, top.bytes, top.descriptor.mediaType, { tag: tag ?? top.descriptor.digest, signal });
  return { digest: top.descriptor.digest, mediaType: top.descriptor.mediaType, blobs: counts };
}

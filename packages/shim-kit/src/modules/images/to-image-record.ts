import type { ImageRecord as StoredImage } from '@shimkit/image-store';
import type { ImageRecord } from '../../interfaces/image-backend.js';

/**
 * An image-store record as the ImageBackend reports it: id = config digest, repo tags and
 * repo digests as stored (containerd's form), size as pulled (manifest, config and
 * compressed layers, as containerd counts it), pinned when any of its names or its id is.
 */
export function toImageRecord(image: StoredImage, pinned: ReadonlySet<string>): ImageRecord {
  return {
    id: image.id,
    repoTags: [...image.repoTags],
    repoDigests: [...image.repoDigests],
    size: BigInt(image.size),
    config: structuredClone(image.config),
    pinned: pinned.has(image.id) || image.repoTags.some((t) => pinned.has(t)) || image.repoDigests.some((d) => pinned.has(d)),
  };
}

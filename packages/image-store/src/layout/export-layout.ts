import type { Descriptor } from '@shimkit/oci-spec';
import { ANNOTATION_REF_NAME, parseImageReference } from '@shimkit/oci-spec';
import { ContentStore } from '../content/content-store.js';
import { ImageStoreError, throwIfAborted } from '../errors.js';
import type { ImageRecord } from '../images/image-record.js';

/** Annotation containerd uses for the full image name in an index.json. */
export const ANNOTATION_CONTAINERD_NAME = 'io.containerd.image.name';

/**
 * Writes images into an OCI image layout directory (created when missing):
 * their blobs, verified as they are copied, and one index.json entry per tag
 * (`ref.name` = the tag, plus the full name), or one untagged entry.
 */
export async function exportLayout(source: ContentStore, images: readonly ImageRecord[], dir: string, options: { signal?: AbortSignal } = {}): Promise<void> {
  // Refuse a ref name clash before anything is written.
  const owners = new Map<string, ImageRecord>();
  for (const image of images) {
    for (const name of image.repoTags) {
      const tag = parseImageReference(name).tag ?? 'latest';
      const other = owners.get(tag);
      if (other !== undefined && other.manifest.digest !== image.manifest.digest) {
        throw new ImageStoreError('INVALID_ARGUMENT', `${name} and ${other.repoTags.join(', ')} would share the layout ref name ${JSON.stringify(tag)}; export them to separate layouts`);
      }
      owners.set(tag, image);
    }
  }
  const target = await ContentStore.open(dir, options);
  const entries: Descriptor[] = [];
  for (const image of images) {
    // Only this platform's manifest is held, so it (not a multi-platform index) is what the layout names.
    const top = image.manifest;
    const manifestBytes = await source.read(image.manifest.digest, options).catch(() => undefined);
    const configDigest = manifestBytes === undefined ? undefined : (JSON.parse(manifestBytes.toString('utf8')) as { config: Descriptor }).config;
    throwIfAborted(options.signal, 'export');
    const blobs: Array<Pick<Descriptor, 'digest' | 'size'>> = [image.manifest, ...(configDigest ? [configDigest] : []), ...image.layers];
    for (const blob of blobs) {
      throwIfAborted(options.signal, 'export');
      if (!(await source.has(blob.digest))) {
        throw new ImageStoreError('NOT_FOUND', `blob ${blob.digest} of image ${image.id} is not kept in the store (open it with keepLayerBlobs to export)`);
      }
      await target.ingest(blob.digest, (offset) => source.createReadStream(blob.digest, { start: offset }), { size: blob.size, signal: options.signal });
    }
    const names = image.repoTags.length > 0 ? image.repoTags : [undefined];
    for (const name of names) {
      const annotations: Record<string, string> = {};
      if (name !== undefined) {
        annotations[ANNOTATION_REF_NAME] = parseImageReference(name).tag ?? 'latest';
        annotations[ANNOTATION_CONTAINERD_NAME] = name;
      }
      entries.push({ mediaType: top.mediaType, digest: top.digest, size: top.size, ...(name === undefined ? {} : { annotations }) });
    }
  }
  const index = await target.readIndex();
  const kept = index.manifests.filter((m) => !entries.some((e) => e.annotations?.[ANNOTATION_REF_NAME] !== undefined && e.annotations[ANNOTATION_REF_NAME] === m.annotations?.[ANNOTATION_REF_NAME]));
  await target.writeIndex({ ...index, schemaVersion: 2, manifests: [...kept, ...entries] });
}

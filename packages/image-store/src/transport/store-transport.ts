import type { Descriptor, Digest, Platform } from '@shimkit/oci-spec';
import { ImageStoreError } from '../errors.js';
import { parseManifestDocument } from '../images/manifest-document.js';
import type { ImageStore } from '../image-store.js';
import type { ImageSource } from '../pull/pull-image.js';
import type { FetchedManifest, ResolvedImage } from '../registry/registry-client.js';
import type { ImageReader, ImageWriter } from './image-transport.js';

async function readManifest(store: ImageStore, d: Pick<Descriptor, 'digest' | 'mediaType' | 'size'>, signal?: AbortSignal): Promise<FetchedManifest> {
  const bytes = await store.content.read(d.digest, { signal });
  return { descriptor: { mediaType: d.mediaType, digest: d.digest, size: bytes.length }, bytes, document: parseManifestDocument(bytes, d.mediaType) };
}

async function* storeBlob(store: ImageStore, image: string, d: Descriptor): AsyncGenerator<Buffer> {
  if (!(await store.content.has(d.digest))) {
    throw new ImageStoreError('NOT_FOUND', `blob ${d.digest} of ${image} is not kept in the store (it was pulled without keepLayerBlobs)`);
  }
  for await (const chunk of store.content.createReadStream(d.digest)) yield chunk as Buffer;
}

/** Reads an image held by an image store (its one platform's manifest; the layer blobs must have been kept). */
export function storeReader(store: ImageStore, image: string): ImageReader {
  const record = store.get(image);
  if (record === undefined) throw new ImageStoreError('NOT_FOUND', `image ${JSON.stringify(image)} is not in the store ${store.root}`);
  const close = async () => undefined;
  return {
    name: `store:${image}`,
    top: (signal) => readManifest(store, record.manifest, signal),
    manifest: (d, signal) => readManifest(store, d, signal),
    blob: (d) => storeBlob(store, image, d),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** An image source over blobs already in the store's content (written by a store writer). */
function contentSource(store: ImageStore, top: FetchedManifest, name: string): ImageSource {
  return {
    name,
    resolve: async () => ({ manifest: top as ResolvedImage['manifest'] }),
    open: (d: Descriptor, offset: number) => store.content.createReadStream(d.digest, { start: offset }),
  };
}

/**
 * Writes an image into an image store under `name`: blobs into its content
 * (kept, so the image can be copied out again), then unpacked into snapshots
 * and recorded on commit. A failure records nothing; blobs it left are
 * unreferenced and go with the store's gc.
 */
export function storeWriter(store: ImageStore, name: string, options: { platform?: Platform } = {}): ImageWriter {
  return {
    name: `store:${name}`,
    acceptsIndex: false,
    verifiesBlobs: true,
    async putBlob(d, open, { signal }) {
      if (await store.content.has(d.digest)) return 'exists';
      await store.content.ingest(d.digest, () => open(), { size: d.size, signal });
      return 'uploaded';
    },
    putManifest: async () => {
      throw new ImageStoreError('INVALID_ARGUMENT', `store:${name}: the store holds one platform's image, not an index`);
    },
    async commit(top, signal): Promise<Digest> {
      if (top.document.kind !== 'manifest') throw new ImageStoreError('INVALID_ARGUMENT', `store:${name}: the store holds one platform's image, not an index`);
      await store.content.ingest(top.descriptor.digest, () => [top.bytes], { size: top.bytes.length, signal });
      await store.importImage(contentSource(store, top, `store:${name}`), { name, signal, ...(options.platform ? { platform: options.platform } : {}) });
      return top.descriptor.digest;
    },
    abort: async () => undefined,
  };
}

import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Descriptor, Digest } from '@shimkit/oci-spec';
import { ANNOTATION_REF_NAME, layoutBlobPath } from '@shimkit/oci-spec';
import { ContentStore } from '../content/content-store.js';
import { ImageStoreError } from '../errors.js';
import { readLayoutBlob, readLayoutIndex } from '../layout/layout-source.js';
import type { FetchedManifest } from '../registry/registry-client.js';
import type { ImageReader, ImageWriter } from './image-transport.js';

/** The index.json entry named `refName`, or the only entry when no name is given. */
export async function layoutEntry(dir: string, refName: string | undefined): Promise<Descriptor> {
  const index = await readLayoutIndex(dir);
  const entries = refName === undefined ? index.manifests : index.manifests.filter((m) => m.annotations?.[ANNOTATION_REF_NAME] === refName);
  const [entry, ...more] = entries;
  if (entry === undefined) throw new ImageStoreError('NOT_FOUND', `OCI layout ${dir} has no image${refName === undefined ? '' : ` named ${JSON.stringify(refName)}`}`);
  if (more.length > 0) throw new ImageStoreError('INVALID_ARGUMENT', `OCI layout ${dir} holds ${entries.length} images; name one (oci:${dir}:NAME)`);
  return entry;
}

/** Reads an image from an OCI image layout directory (`oci:DIR[:NAME]`). */
export function layoutReader(dir: string, refName?: string, name = `oci:${dir}${refName === undefined ? '' : `:${refName}`}`): ImageReader {
  const close = async () => undefined;
  return {
    name,
    top: async () => readLayoutBlob(dir, await layoutEntry(dir, refName)),
    manifest: (d) => readLayoutBlob(dir, d),
    async *blob(d: Descriptor) {
      try {
        for await (const chunk of createReadStream(join(dir, layoutBlobPath(d.digest)), { highWaterMark: 1 << 20 })) yield chunk as Buffer;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ImageStoreError('NOT_FOUND', `OCI layout ${dir} lacks blob ${d.digest}`, { cause: e });
        throw e;
      }
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/**
 * Writes an image into an OCI image layout directory (created when missing).
 * Blobs appear only complete and verified; index.json is updated last, the
 * entry named `refName` replaced. A failed copy into a directory it created
 * removes the directory; in an existing one, only unreferenced complete blobs stay.
 */
export async function layoutWriter(dir: string, refName?: string, name = `oci:${dir}${refName === undefined ? '' : `:${refName}`}`): Promise<ImageWriter & { readonly dir: string }> {
  const created = !(await exists(dir));
  let store: ContentStore;
  try {
    store = await ContentStore.open(dir);
  } catch (e) {
    if (created) await rm(dir, { recursive: true, force: true });
    throw e;
  }
  const ingestDir = join(dir, 'ingest');
  const putBytes = async (m: FetchedManifest, signal?: AbortSignal) => {
    await store.ingest(m.descriptor.digest, () => [m.bytes], { size: m.bytes.length, signal });
  };
  return {
    name,
    dir,
    acceptsIndex: true,
    verifiesBlobs: true,
    async putBlob(d, open, { signal }) {
      if (await store.has(d.digest)) return 'exists';
      await store.ingest(d.digest, () => open(), { size: d.size, signal });
      return 'uploaded';
    },
    putManifest: putBytes,
    async commit(top, signal): Promise<Digest> {
      await putBytes(top, signal);
      const index = await store.readIndex({ signal });
      const entry: Descriptor = { mediaType: top.descriptor.mediaType, digest: top.descriptor.digest, size: top.descriptor.size };
      if (refName !== undefined) entry.annotations = { [ANNOTATION_REF_NAME]: refName };
      const kept = index.manifests.filter((m) => refName === undefined ? m.digest !== entry.digest || m.annotations?.[ANNOTATION_REF_NAME] !== undefined : m.annotations?.[ANNOTATION_REF_NAME] !== refName);
      await store.writeIndex({ ...index, schemaVersion: 2, manifests: [...kept, entry] }, { signal });
      // The store's resumable-download area is not part of a layout.
      await rm(ingestDir, { recursive: true, force: true });
      return top.descriptor.digest;
    },
    async abort() {
      await rm(created ? dir : ingestDir, { recursive: true, force: true });
    },
  };
}

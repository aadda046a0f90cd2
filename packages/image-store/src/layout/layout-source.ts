import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Descriptor, ImageIndex, Platform } from '@shimkit/oci-spec';
import {
  ANNOTATION_REF_NAME, digestAlgorithm, hostPlatform, isOciSpecError, layoutBlobPath, OCI_LAYOUT_FILE, OCI_LAYOUT_INDEX_FILE, selectManifest,
} from '@shimkit/oci-spec';
import { ImageStoreError } from '../errors.js';
import type { FetchedManifest } from '../registry/registry-client.js';
import { parseManifestDocument } from '../images/manifest-document.js';
import type { ImageSource } from '../pull/pull-image.js';

async function readVerified(dir: string, d: Descriptor): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(join(dir, layoutBlobPath(d.digest)));
  } catch (e) {
    throw new ImageStoreError('NOT_FOUND', `OCI layout ${dir} lacks blob ${d.digest}`, { cause: e });
  }
  const actual = `${digestAlgorithm(d.digest)}:${createHash(digestAlgorithm(d.digest)).update(bytes).digest('hex')}`;
  if (actual !== d.digest || bytes.length !== d.size) {
    throw new ImageStoreError('DIGEST_MISMATCH', `OCI layout ${dir}: blob ${d.digest} has digest ${actual} and ${bytes.length} bytes (expected ${d.size})`);
  }
  return bytes;
}

/** Reads a manifest or index out of an OCI layout, verified against its descriptor. */
export async function readLayoutBlob(dir: string, d: Descriptor): Promise<FetchedManifest> {
  const bytes = await readVerified(dir, d);
  return { descriptor: { mediaType: d.mediaType, digest: d.digest, size: d.size }, bytes, document: parseManifestDocument(bytes, d.mediaType) };
}

/** Reads an OCI layout's index.json (checking its oci-layout file). */
export async function readLayoutIndex(dir: string): Promise<ImageIndex> {
  try {
    const layout = JSON.parse(await readFile(join(dir, OCI_LAYOUT_FILE), 'utf8')) as { imageLayoutVersion?: unknown };
    if (typeof layout.imageLayoutVersion !== 'string') throw new Error('no imageLayoutVersion');
    return JSON.parse(await readFile(join(dir, OCI_LAYOUT_INDEX_FILE), 'utf8')) as ImageIndex;
  } catch (e) {
    throw new ImageStoreError('INVALID_ARGUMENT', `${dir} is not an OCI image layout: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * An image source reading an OCI image layout directory. `refName` picks the
 * index.json entry by its `org.opencontainers.image.ref.name` annotation; it
 * may be left out when the layout holds one image.
 */
export async function layoutSource(dir: string, options: { refName?: string } = {}): Promise<ImageSource> {
  const index = await readLayoutIndex(dir);
  const entries = options.refName === undefined ? index.manifests : index.manifests.filter((m) => m.annotations?.[ANNOTATION_REF_NAME] === options.refName);
  const [entry, ...more] = entries;
  if (entry === undefined) throw new ImageStoreError('NOT_FOUND', `OCI layout ${dir} has no image${options.refName === undefined ? '' : ` named ${JSON.stringify(options.refName)}`}`);
  if (more.length > 0) throw new ImageStoreError('INVALID_ARGUMENT', `OCI layout ${dir} holds ${entries.length} images; name one (ref.name annotation)`);
  return {
    name: `oci:${dir}${options.refName === undefined ? '' : `:${options.refName}`}`,
    async resolve({ platform }: { platform?: Platform }) {
      const top = await readLayoutBlob(dir, entry);
      if (top.document.kind === 'manifest') return { manifest: top as never };
      let chosen: Descriptor;
      try {
        chosen = selectManifest(top.document.index, platform ?? hostPlatform());
      } catch (e) {
        if (isOciSpecError(e)) throw new ImageStoreError('NO_MATCHING_PLATFORM', `OCI layout ${dir}: ${e.message}`, { cause: e });
        throw e;
      }
      const manifest = await readLayoutBlob(dir, chosen);
      if (manifest.document.kind !== 'manifest') throw new ImageStoreError('UNSUPPORTED_MEDIA_TYPE', `OCI layout ${dir}: nested index ${chosen.digest}`);
      return { index: top, manifest: manifest as never };
    },
    async *open(descriptor: Descriptor, offset: number) {
      const path = join(dir, layoutBlobPath(descriptor.digest));
      try {
        for await (const chunk of createReadStream(path, { start: offset, highWaterMark: 1 << 20 })) yield chunk as Buffer;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ImageStoreError('NOT_FOUND', `OCI layout ${dir} lacks blob ${descriptor.digest}`, { cause: e });
        throw e;
      }
    },
  };
}

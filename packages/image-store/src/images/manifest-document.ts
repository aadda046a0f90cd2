import type { Descriptor, ImageIndex, Manifest, MediaType } from '@shimkit/oci-spec';
import { isIndexMediaType, isManifestMediaType, mediaTypeEssence, MediaType as MT, tryParseDigest } from '@shimkit/oci-spec';
import { ImageStoreError } from '../errors.js';

/** A parsed manifest or index, told apart by media type. */
export type ManifestDocument =
  | { kind: 'index'; mediaType: MediaType; index: ImageIndex }
  | { kind: 'manifest'; mediaType: MediaType; manifest: Manifest };

function checkDescriptor(d: unknown, where: string): Descriptor {
  const desc = d as Partial<Descriptor> | null;
  if (typeof desc !== 'object' || desc === null) throw new ImageStoreError('REGISTRY_PROTOCOL', `${where} is not a descriptor`);
  if (typeof desc.mediaType !== 'string') throw new ImageStoreError('REGISTRY_PROTOCOL', `${where}.mediaType is missing`);
  if (tryParseDigest(desc.digest) === undefined) throw new ImageStoreError('REGISTRY_PROTOCOL', `${where}.digest ${JSON.stringify(desc.digest)} is not a supported digest`);
  if (!Number.isSafeInteger(desc.size) || (desc.size as number) < 0) throw new ImageStoreError('REGISTRY_PROTOCOL', `${where}.size is not a non-negative integer`);
  return desc as Descriptor;
}

/**
 * Parses manifest or index JSON. The media type comes from the document, else
 * the Content-Type it was served with, else its shape. Docker schema1 is refused.
 */
export function parseManifestDocument(bytes: Uint8Array, contentType?: string | null): ManifestDocument {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new ImageStoreError('REGISTRY_PROTOCOL', `manifest is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  if (typeof doc !== 'object' || doc === null) throw new ImageStoreError('REGISTRY_PROTOCOL', 'manifest is not a JSON object');
  const header = contentType ? mediaTypeEssence(contentType) : undefined;
  let mediaType = typeof doc.mediaType === 'string' ? doc.mediaType : header && header !== 'application/json' ? header : undefined;
  if (mediaType === undefined) mediaType = Array.isArray(doc.manifests) ? MT.OciIndex : MT.OciManifest;
  if (mediaType === MT.DockerManifestSchema1 || mediaType === MT.DockerManifestSchema1Signed || doc.schemaVersion === 1) {
    throw new ImageStoreError('UNSUPPORTED_MEDIA_TYPE', 'Docker schema1 manifests are not supported');
  }
  if (doc.schemaVersion !== 2) throw new ImageStoreError('REGISTRY_PROTOCOL', `manifest schemaVersion ${JSON.stringify(doc.schemaVersion)} is not 2`);
  if (isIndexMediaType(mediaType)) {
    if (!Array.isArray(doc.manifests)) throw new ImageStoreError('REGISTRY_PROTOCOL', 'index has no manifests array');
    doc.manifests.forEach((m, i) => checkDescriptor(m, `manifests[${i}]`));
    return { kind: 'index', mediaType: mediaType as MediaType, index: doc as unknown as ImageIndex };
  }
  if (isManifestMediaType(mediaType)) {
    checkDescriptor(doc.config, 'config');
    if (!Array.isArray(doc.layers)) throw new ImageStoreError('REGISTRY_PROTOCOL', 'manifest has no layers array');
    doc.layers.forEach((l, i) => checkDescriptor(l, `layers[${i}]`));
    return { kind: 'manifest', mediaType: mediaType as MediaType, manifest: doc as unknown as Manifest };
  }
  throw new ImageStoreError('UNSUPPORTED_MEDIA_TYPE', `unsupported manifest media type ${mediaType}`);
}

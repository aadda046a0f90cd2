import { createHash } from 'node:crypto';
import type { Descriptor, Digest, ImageReference } from '@shimkit/oci-spec';
import { digestAlgorithm, digestHex, MediaType } from '@shimkit/oci-spec';
import { ImageStoreError, isImageStoreError } from '../errors.js';
import type { RegistryClient } from '../registry/registry-client.js';
import type { SigstoreSignature } from './sigstore-signature.js';

/** Media type of a layer holding a simple-signing payload. */
export const SIGSTORE_PAYLOAD_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
/** The layer annotation with the base64 signature of its payload. */
export const SIGSTORE_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';

/** Signatures read at most per image, and bytes per payload: a registry cannot make a verifier read without end. */
const MAX_SIGNATURES = 64;
const MAX_PAYLOAD = 4 * 1024 * 1024;

/** The tag the signatures of `digest` are stored under: `sha256-<hex>.sig`. */
export function sigstoreSignatureTag(digest: Digest): string {
  return `${digestAlgorithm(digest)}-${digestHex(digest)}.sig`;
}

const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;

/** An image in a registry repository, by the digest of its manifest (or index). */
export interface RepositoryImage {
  repository: Pick<ImageReference, 'domain' | 'path'>;
  digest: Digest;
}

interface SignatureManifest {
  schemaVersion: 2;
  mediaType: string;
  config: Descriptor;
  layers: Array<Descriptor & { annotations?: Record<string, string> }>;
  annotations?: Record<string, string>;
}

async function readSignatureManifest(client: RegistryClient, { repository: repo, digest }: RepositoryImage, signal?: AbortSignal): Promise<SignatureManifest | undefined> {
  const ref: ImageReference = { domain: repo.domain, path: repo.path, tag: sigstoreSignatureTag(digest) };
  let bytes: Uint8Array;
  try {
    bytes = (await client.getManifest(ref, { signal })).bytes;
  } catch (e) {
    if (isImageStoreError(e, 'REGISTRY_NOT_FOUND')) return undefined;
    throw e;
  }
  const doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as SignatureManifest;
  if (!Array.isArray(doc.layers)) throw new ImageStoreError('REGISTRY_PROTOCOL', `${repo.domain}/${repo.path}:${ref.tag}: not an image manifest`);
  return doc;
}

/**
 * The sigstore signatures attached to the image `digest` in a repository
 * (none when the `.sig` tag is missing). Layers that are not simple-signing
 * payloads are skipped; the signatures are not verified here.
 */
export async function readSigstoreSignatures(client: RegistryClient, image: RepositoryImage, options: { signal?: AbortSignal } = {}): Promise<SigstoreSignature[]> {
  const { signal } = options;
  const repo = image.repository;
  const doc = await readSignatureManifest(client, image, signal);
  if (doc === undefined) return [];
  const out: SigstoreSignature[] = [];
  for (const layer of doc.layers.slice(0, MAX_SIGNATURES)) {
    if (layer.mediaType !== SIGSTORE_PAYLOAD_MEDIA_TYPE) continue;
    const signature = layer.annotations?.[SIGSTORE_SIGNATURE_ANNOTATION];
    if (typeof signature !== 'string' || layer.size > MAX_PAYLOAD) continue;
    const payload = await client.getBlob({ domain: repo.domain, path: repo.path }, layer, { signal });
    const { [SIGSTORE_SIGNATURE_ANNOTATION]: _, ...annotations } = layer.annotations ?? {};
    out.push({ payload, signature, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) });
  }
  return out;
}

/**
 * Adds a signature to the `.sig` manifest of `digest` (creating it when
 * missing), as cosign and containers/image do: the payload is a layer, the
 * signature its annotation, the config lists the layers as diff ids.
 * A signature already there is not added twice.
 */
export async function writeSigstoreSignature(client: RegistryClient, sig: SigstoreSignature, options: RepositoryImage & { signal?: AbortSignal }): Promise<void> {
  const { repository: repo, digest, signal } = options;
  const ref: ImageReference = { domain: repo.domain, path: repo.path, tag: sigstoreSignatureTag(digest) };
  const existing = await readSignatureManifest(client, options, signal);
  const layers = existing?.layers.slice() ?? [];
  const payloadDigest = sha256(sig.payload);
  if (layers.some((l) => l.digest === payloadDigest && l.annotations?.[SIGSTORE_SIGNATURE_ANNOTATION] === sig.signature)) return;
  await client.pushBlob(ref, { digest: payloadDigest, size: sig.payload.length }, () => [sig.payload], { signal });
  layers.push({
    mediaType: SIGSTORE_PAYLOAD_MEDIA_TYPE as Descriptor['mediaType'],
    digest: payloadDigest,
    size: sig.payload.length,
    annotations: { ...sig.annotations, [SIGSTORE_SIGNATURE_ANNOTATION]: sig.signature },
  });
  const config = Buffer.from(JSON.stringify({ architecture: '', os: '', config: {}, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) } }));
  const configDescriptor: Descriptor = { mediaType: MediaType.OciConfig, digest: sha256(config), size: config.length };
  await client.pushBlob(ref, configDescriptor, () => [config], { signal });
  const manifest: SignatureManifest = { schemaVersion: 2, mediaType: MediaType.OciManifest, config: configDescriptor, layers, ...(existing?.annotations ? { annotations: existing.annotations } : {}) };
  await client.pushManifest(ref, Buffer.from(JSON.stringify(manifest)), MediaType.OciManifest, { signal });
}

/**
 * Copies the `.sig` manifest of `digest` (and its blobs) from one repository to another,
 * as skopeo copy carries signatures along; returns how many signatures it holds (0: none to copy).
 * Blobs of the same registry are mounted.
 */
export async function copySigstoreSignatures(
  client: RegistryClient,
  digest: Digest,
  options: { from: Pick<ImageReference, 'domain' | 'path'>; to: Pick<ImageReference, 'domain' | 'path'>; signal?: AbortSignal },
): Promise<number> {
  const { from, to, signal } = options;
  const tag = sigstoreSignatureTag(digest);
  let fetched;
  try {
    fetched = await client.getManifest({ domain: from.domain, path: from.path, tag }, { signal });
  } catch (e) {
    if (isImageStoreError(e, 'REGISTRY_NOT_FOUND')) return 0;
    throw e;
  }
  const doc = JSON.parse(Buffer.from(fetched.bytes).toString('utf8')) as SignatureManifest;
  if (!Array.isArray(doc.layers) || doc.config === undefined) throw new ImageStoreError('REGISTRY_PROTOCOL', `${from.domain}/${from.path}:${tag}: not an image manifest`);
  const target: ImageReference = { domain: to.domain, path: to.path, tag };
  const source: ImageReference = { domain: from.domain, path: from.path };
  for (const blob of [doc.config, ...doc.layers]) {
    await client.pushBlob(target, blob, () => client.blob(source, blob, { signal }), { signal, ...(from.domain === to.domain ? { mountFrom: from.path } : {}) });
  }
  await client.pushManifest(target, fetched.bytes, fetched.descriptor.mediaType, { signal });
  return doc.layers.filter((l) => l.mediaType === SIGSTORE_PAYLOAD_MEDIA_TYPE).length;
}

import type { KeyObject } from 'node:crypto';
import type { Digest, ImageReference } from '@shimkit/oci-spec';
import { formatImageReference } from '@shimkit/oci-spec';
import { ImageStoreError } from '../errors.js';
import type { RegistryClient } from '../registry/registry-client.js';
import type { GpgSignOptions } from './gpg.js';
import { gpgSign } from './gpg.js';
import { writeLookasideSignature } from './lookaside.js';
import type { RegistriesDirConfig } from './registries-d.js';
import { signatureStorageFor } from './registries-d.js';
import { buildSignaturePayload, SIGSTORE_PAYLOAD_TYPE, SIMPLE_SIGNING_TYPE } from './signature-payload.js';
import { writeSigstoreSignature } from './sigstore-attachment.js';
import { signSigstorePayload } from './sigstore-signature.js';

export interface SignImageOptions {
  /** Sign with this sigstore (ECDSA P-256) private key; the signature is attached in the registry. */
  sigstoreKey?: KeyObject;
  /** Sign with gpg; the signature goes to the lookaside (staging) store registries.d names for the image. */
  gpg?: Omit<GpgSignOptions, 'signal'>;
  /** The identity the signature claims (default: the reference itself, which must carry a tag). */
  identity?: ImageReference;
  registries?: RegistriesDirConfig;
  /** `optional.creator` of the payload. */
  creator?: string;
  signal?: AbortSignal;
}

export interface SignImageResult {
  /** The manifest (or index) digest that was signed. */
  digest: Digest;
  identity: string;
  /** Where each signature went: `docker://host/repo:sha256-....sig`, or the lookaside file. */
  written: string[];
}

/** Signs the image a registry reference names, with a sigstore key, gpg, or both. */
export async function signRegistryImage(client: RegistryClient, ref: ImageReference, options: SignImageOptions): Promise<SignImageResult> {
  const { signal } = options;
  if (options.sigstoreKey === undefined && options.gpg === undefined) throw new ImageStoreError('INVALID_ARGUMENT', 'nothing to sign with: give a sigstore private key or a GPG key');
  const identityRef = options.identity ?? ref;
  if (identityRef.tag === undefined && identityRef.digest === undefined) throw new ImageStoreError('INVALID_ARGUMENT', `the signed identity ${formatImageReference(identityRef)} needs a tag or digest`);
  if (identityRef.digest !== undefined && identityRef.tag === undefined && options.identity === undefined) {
    throw new ImageStoreError('INVALID_ARGUMENT', `${formatImageReference(ref)} names the image by digest; give the identity to sign (a reference with a tag)`);
  }
  const identity = formatImageReference(identityRef);
  const top = await client.getManifest(ref, { signal });
  const digest = top.descriptor.digest;
  const storage = signatureStorageFor(options.registries, ref);
  const claim = { manifestDigest: digest, dockerReference: identity, creator: options.creator ?? 'shimkit', timestamp: Math.floor(Date.now() / 1000) };
  const written: string[] = [];
  if (options.gpg !== undefined) {
    const target = storage.lookasideStaging ?? storage.lookaside;
    if (target === undefined) throw new ImageStoreError('INVALID_ARGUMENT', `no lookaside store is configured for ${formatImageReference(ref)} in registries.d (lookaside-staging or lookaside), so a GPG signature has nowhere to go`);
    const signature = await gpgSign(buildSignaturePayload(SIMPLE_SIGNING_TYPE, claim), { ...options.gpg, ...(signal ? { signal } : {}) });
    written.push(await writeLookasideSignature(target, signature, { repository: ref, digest }));
  }
  if (options.sigstoreKey !== undefined) {
    if (storage.useSigstoreAttachments === false) throw new ImageStoreError('INVALID_ARGUMENT', `registries.d turns use-sigstore-attachments off for ${formatImageReference(ref)}`);
    const sig = signSigstorePayload(buildSignaturePayload(SIGSTORE_PAYLOAD_TYPE, claim), options.sigstoreKey);
    await writeSigstoreSignature(client, sig, { repository: ref, digest, ...(signal ? { signal } : {}) });
    written.push(`docker://${ref.domain}/${ref.path}:${digest.replace(':', '-')}.sig`);
  }
  return { digest, identity, written };
}

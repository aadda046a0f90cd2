import { resolve } from 'node:path';
import type { ImageReference } from '@shimkit/oci-spec';
import { formatImageReference, tryParseImageReference } from '@shimkit/oci-spec';
import type { FetchedManifest, RegistryClient } from '../registry/registry-client.js';
import type { ImageLocation } from '../transport/image-location.js';
import { readLookasideSignatures } from './lookaside.js';
import type { PolicyImage } from './policy-evaluate.js';
import { enforceSignaturePolicy } from './policy-evaluate.js';
import { dockerScopes, pathScopes } from './policy-scopes.js';
import type { RegistriesDirConfig } from './registries-d.js';
import { loadRegistriesDir, signatureStorageFor } from './registries-d.js';
import type { SignaturePolicy } from './signature-policy.js';
import { loadSignaturePolicy } from './signature-policy.js';
import { readSigstoreSignatures } from './sigstore-attachment.js';

export interface SignaturePolicyEnforcerOptions {
  policy: SignaturePolicy;
  /** Where the policy came from, for messages (its path). */
  source?: string;
  /**
   * registries.d configuration: lookaside stores and sigstore attachments per scope.
   * Unlike containers/image, sigstore attachments are read unless a scope turns
   * `use-sigstore-attachments` off, and there is no default lookaside directory.
   */
  registries?: RegistriesDirConfig;
}

const none = async () => [];

/**
 * Enforces a containers-policy.json policy on images about to be copied or
 * pulled: call check() with the manifest the source names, before anything
 * of the image is written.
 */
export class SignaturePolicyEnforcer {
  readonly policy: SignaturePolicy;
  readonly source: string | undefined;
  readonly registries: RegistriesDirConfig | undefined;

  constructor(options: SignaturePolicyEnforcerOptions) {
    this.policy = options.policy;
    this.source = options.source;
    this.registries = options.registries;
  }

  /** Reads a policy.json and, if given, a registries.d directory. */
  static async load(policyPath: string, options: { registriesDir?: string } = {}): Promise<SignaturePolicyEnforcer> {
    const policy = await loadSignaturePolicy(policyPath);
    const registries = options.registriesDir === undefined ? undefined : await loadRegistriesDir(options.registriesDir);
    return new SignaturePolicyEnforcer({ policy, source: policyPath, ...(registries ? { registries } : {}) });
  }

  /** The signatures of a registry image, from sigstore attachments and the lookaside store its scope configures. */
  registrySignatures(client: RegistryClient, ref: ImageReference, top: FetchedManifest): PolicyImage['signatures'] {
    const storage = signatureStorageFor(this.registries, ref);
    const digest = top.descriptor.digest;
    // Read once however many requirements ask.
    let sigstore: ReturnType<PolicyImage['signatures']['sigstore']> | undefined;
    let simple: ReturnType<PolicyImage['signatures']['simpleSigning']> | undefined;
    return {
      sigstore: (signal) => (sigstore ??= storage.useSigstoreAttachments === false ? Promise.resolve([]) : readSigstoreSignatures(client, { repository: ref, digest }, { ...(signal ? { signal } : {}) })),
      simpleSigning: (signal) => (simple ??= storage.lookaside === undefined ? Promise.resolve([]) : readLookasideSignatures(storage.lookaside, { repository: ref, digest, ...(signal ? { signal } : {}) })),
    };
  }

  /** Throws `POLICY_REJECTED` unless the policy accepts the image `top` read from `location`. */
  async check(location: ImageLocation, top: FetchedManifest, ctx: { registry?: () => RegistryClient; signal?: AbortSignal } = {}): Promise<void> {
    const manifest = { digest: top.descriptor.digest, bytes: top.bytes };
    let image: PolicyImage;
    switch (location.transport) {
      case 'docker': {
        const ref = location.ref;
        const name = formatImageReference(ref);
        const signatures = ctx.registry ? this.registrySignatures(ctx.registry(), ref, top) : { sigstore: none, simpleSigning: none };
        image = { name: `docker://${name}`, transport: 'docker', scopes: dockerScopes(name, { wildcards: true }), identity: ref, manifest, signatures };
        break;
      }
      case 'oci':
      case 'oci-archive': {
        const path = resolve(location.transport === 'oci' ? location.dir : location.file);
        const name = `${location.transport}:${path}${location.refName ? `:${location.refName}` : ''}`;
        image = { name, transport: location.transport, scopes: pathScopes(path, location.refName), manifest, signatures: { sigstore: none, simpleSigning: none } };
        break;
      }
      case 'docker-archive': {
        const path = resolve(location.file);
        image = {
          name: `docker-archive:${path}${location.ref ? `:${formatImageReference(location.ref)}` : ''}`,
          transport: 'docker-archive',
          scopes: pathScopes(path, undefined),
          ...(location.ref ? { identity: location.ref } : {}),
          manifest,
          signatures: { sigstore: none, simpleSigning: none },
        };
        break;
      }
      case 'store': {
        const ref = tryParseImageReference(location.image);
        image = {
          name: `store:${location.image}`,
          transport: 'store',
          scopes: ref ? dockerScopes(formatImageReference(ref), { wildcards: true }) : [location.image],
          ...(ref ? { identity: ref } : {}),
          manifest,
          signatures: { sigstore: none, simpleSigning: none },
        };
        break;
      }
    }
    await enforceSignaturePolicy(this.policy, image, { ...(this.source ? { source: this.source } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}) });
  }
}

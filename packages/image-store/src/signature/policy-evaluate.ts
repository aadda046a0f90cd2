import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Digest, ImageReference } from '@shimkit/oci-spec';
import { digestAlgorithm } from '@shimkit/oci-spec';
import { ImageStoreError, isImageStoreError } from '../errors.js';
import { gpgVerify } from './gpg.js';
import { identityMatches } from './identity-match.js';
import type { SignatureClaim } from './signature-payload.js';
import { parseSignaturePayload, SIGSTORE_PAYLOAD_TYPE, SIMPLE_SIGNING_TYPE } from './signature-payload.js';
import type { PolicyRequirement, SignaturePolicy } from './signature-policy.js';
import { loadSigstorePublicKey } from './sigstore-key.js';
import type { SigstoreSignature } from './sigstore-signature.js';
import { verifySigstorePayload } from './sigstore-signature.js';

/** An image as the policy sees it. */
export interface PolicyImage {
  /** For messages: `docker://host/repo:tag`. */
  name: string;
  /** Policy transport name (`docker`, `oci`, ...). */
  transport: string;
  /** Scopes of the image in its transport, most specific first. */
  scopes: readonly string[];
  /** The docker reference the image is known by, if the transport has one. */
  identity?: ImageReference;
  /** The manifest (or index) the location names, as read. */
  manifest: { digest: Digest; bytes: Uint8Array };
  /** The image's signatures, fetched only when a requirement needs them. */
  signatures: {
    sigstore(signal?: AbortSignal): Promise<SigstoreSignature[]>;
    simpleSigning(signal?: AbortSignal): Promise<Uint8Array[]>;
  };
}

/** Which policy entry applied: `transports.docker["host/repo"]`, `transports.docker[""]` or `default`. */
export function policyRequirementsFor(policy: SignaturePolicy, image: Pick<PolicyImage, 'transport' | 'scopes'>): { path: string; requirements: PolicyRequirement[] } {
  const scopes = policy.transports[image.transport];
  if (scopes !== undefined) {
    for (const scope of [...image.scopes, '']) {
      const found = scopes[scope];
      if (found !== undefined) return { path: `transports.${image.transport}[${JSON.stringify(scope)}]`, requirements: found };
    }
  }
  return { path: 'default', requirements: policy.default };
}

function manifestMatches(bytes: Uint8Array, claimed: Digest): boolean {
  return `${digestAlgorithm(claimed)}:${createHash(digestAlgorithm(claimed)).update(bytes).digest('hex')}` === claimed;
}

/** Checks a verified claim against the image: the digest, then the identity rule. Returns why not, or undefined. */
function claimProblem(claim: SignatureClaim, image: PolicyImage, req: Extract<PolicyRequirement, { signedIdentity: unknown }>): string | undefined {
  if (!manifestMatches(image.manifest.bytes, claim.manifestDigest)) return `it signs manifest ${claim.manifestDigest}, not this image's ${image.manifest.digest}`;
  if (!identityMatches(req.signedIdentity, { image: image.identity, claimed: claim.dockerReference })) {
    const rule = req.signedIdentity.type;
    return `it signs identity ${claim.dockerReference}, which does not match ${image.identity ? `the image's ${image.name.replace(/^docker:\/\//, '')}` : 'the image'} under ${rule}`;
  }
  return undefined;
}

async function readKeyFile(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new ImageStoreError('INVALID_ARGUMENT', `${what}: cannot read key ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** Why each signature failed, summed up; "no signatures" when there were none. */
function summary(problems: string[], kind: string): string {
  if (problems.length === 0) return `the image has no ${kind} signatures`;
  if (problems.length === 1) return `its ${kind} signature was refused: ${problems[0]}`;
  return `none of its ${problems.length} ${kind} signatures was accepted: ${problems.map((p, i) => `#${i + 1} ${p}`).join('; ')}`;
}

/** Returns why the requirement refuses the image, or undefined when it accepts it. */
async function requirementProblem(req: PolicyRequirement, rule: string, image: PolicyImage, signal?: AbortSignal): Promise<string | undefined> {
  switch (req.type) {
    case 'insecureAcceptAnything':
      return undefined;
    case 'reject':
      return 'the rule rejects every image';
    case 'sigstoreSigned': {
      const keyBytes = 'keyPath' in req ? await readKeyFile(req.keyPath, rule) : req.keyData;
      const key = loadSigstorePublicKey(keyBytes, `${rule} public key`);
      const problems: string[] = [];
      for (const sig of await image.signatures.sigstore(signal)) {
        if (!verifySigstorePayload(sig, key)) {
          problems.push('the cryptographic signature does not verify with the policy\'s key (another key, or the payload or signature was altered)');
          continue;
        }
        try {
          const why = claimProblem(parseSignaturePayload(sig.payload, SIGSTORE_PAYLOAD_TYPE), image, req);
          if (why === undefined) return undefined;
          problems.push(why);
        } catch (e) {
          if (!isImageStoreError(e, 'POLICY_REJECTED')) throw e;
          problems.push(e.message);
        }
      }
      return summary(problems, 'sigstore');
    }
    case 'signedBy': {
      const keyrings = 'keyData' in req ? [req.keyData] : await Promise.all(('keyPath' in req ? [req.keyPath] : req.keyPaths).map((p) => readKeyFile(p, rule)));
      const problems: string[] = [];
      for (const sig of await image.signatures.simpleSigning(signal)) {
        try {
          const verified = await gpgVerify(sig, { keyrings, ...(signal ? { signal } : {}) });
          const why = claimProblem(parseSignaturePayload(verified.payload, SIMPLE_SIGNING_TYPE), image, req);
          if (why === undefined) return undefined;
          problems.push(why);
        } catch (e) {
          if (!isImageStoreError(e, 'POLICY_REJECTED')) throw e;
          problems.push(e.message);
        }
      }
      return summary(problems, 'GPG');
    }
  }
}

/**
 * Applies a policy to an image: the most specific scope's requirements,
 * all of which must accept it. Throws `POLICY_REJECTED` naming the image,
 * the policy entry and requirement, and why; a requirement that cannot be
 * evaluated (unreadable key) throws `INVALID_ARGUMENT`.
 */
export async function enforceSignaturePolicy(policy: SignaturePolicy, image: PolicyImage, options: { source?: string; signal?: AbortSignal } = {}): Promise<void> {
  const { path, requirements } = policyRequirementsFor(policy, image);
  for (const [i, req] of requirements.entries()) {
    const rule = `${path}[${i}] (${req.type})`;
    const why = await requirementProblem(req, rule, image, options.signal);
    if (why !== undefined) {
      throw new ImageStoreError('POLICY_REJECTED', `${image.name} refused by signature policy${options.source ? ` ${options.source}` : ''}, rule ${rule}: ${why}`);
    }
  }
}

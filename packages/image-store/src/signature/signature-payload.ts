import type { Digest } from '@shimkit/oci-spec';
import { tryParseDigest } from '@shimkit/oci-spec';
import { ImageStoreError } from '../errors.js';

/** `critical.type` of a GPG ("simple signing") signature payload. */
export const SIMPLE_SIGNING_TYPE = 'atomic container signature';
/** `critical.type` of a sigstore signature payload (cosign's and containers/image's). */
export const SIGSTORE_PAYLOAD_TYPE = 'cosign container image signature';

export type SignaturePayloadType = typeof SIMPLE_SIGNING_TYPE | typeof SIGSTORE_PAYLOAD_TYPE;

/** What a signature claims: this manifest digest is the image named by this reference. */
export interface SignatureClaim {
  manifestDigest: Digest;
  /** The claimed identity, a full docker reference (`host/repo:tag`). */
  dockerReference: string;
  /** Who made the signature (`optional.creator`), informational. */
  creator?: string;
  /** Seconds since the epoch (`optional.timestamp`), informational. */
  timestamp?: number;
}

/** The signed JSON document of the containers-signature(5) format. */
export function buildSignaturePayload(type: SignaturePayloadType, claim: SignatureClaim): Buffer {
  const optional: Record<string, unknown> = {};
  if (claim.creator !== undefined) optional.creator = claim.creator;
  if (claim.timestamp !== undefined) optional.timestamp = claim.timestamp;
  return Buffer.from(
    JSON.stringify({
      critical: { identity: { 'docker-reference': claim.dockerReference }, image: { 'docker-manifest-digest': claim.manifestDigest }, type },
      optional,
    }),
  );
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function exactKeys(v: unknown, keys: readonly string[], where: string): Record<string, unknown> {
  if (!isObject(v)) throw invalid(`${where} is not an object`);
  for (const k of Object.keys(v)) if (!keys.includes(k)) throw invalid(`${where} has an unexpected member ${JSON.stringify(k)}`);
  for (const k of keys) if (!(k in v)) throw invalid(`${where} lacks ${JSON.stringify(k)}`);
  return v;
}

function invalid(why: string): ImageStoreError {
  return new ImageStoreError('POLICY_REJECTED', `signature payload: ${why}`);
}

/**
 * Parses a payload strictly, as consumers of the format must: exactly the
 * known members in `critical` (any in `optional`, which cosign may send as
 * null), and the expected `critical.type`. Only call this on bytes whose
 * signature was verified.
 */
export function parseSignaturePayload(bytes: Uint8Array, type: SignaturePayloadType): SignatureClaim {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    throw invalid(`not JSON (${(e as Error).message})`);
  }
  const top = exactKeys(doc, ['critical', 'optional'], 'the document');
  const critical = exactKeys(top.critical, ['type', 'image', 'identity'], 'critical');
  if (critical.type !== type) throw invalid(`critical.type is ${JSON.stringify(critical.type)}, expected ${JSON.stringify(type)}`);
  const image = exactKeys(critical.image, ['docker-manifest-digest'], 'critical.image');
  const manifestDigest = tryParseDigest(image['docker-manifest-digest']);
  if (manifestDigest === undefined) throw invalid(`critical.image.docker-manifest-digest is not a digest: ${JSON.stringify(image['docker-manifest-digest'])}`);
  const identity = exactKeys(critical.identity, ['docker-reference'], 'critical.identity');
  const dockerReference = identity['docker-reference'];
  if (typeof dockerReference !== 'string' || dockerReference === '') throw invalid('critical.identity.docker-reference is not a non-empty string');
  const claim: SignatureClaim = { manifestDigest, dockerReference };
  if (top.optional !== null) {
    if (!isObject(top.optional)) throw invalid('optional is not an object');
    const { creator, timestamp } = top.optional;
    if (creator !== undefined) {
      if (typeof creator !== 'string') throw invalid('optional.creator is not a string');
      claim.creator = creator;
    }
    if (timestamp !== undefined) {
      if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp)) throw invalid('optional.timestamp is not an integer');
      claim.timestamp = timestamp;
    }
  }
  return claim;
}

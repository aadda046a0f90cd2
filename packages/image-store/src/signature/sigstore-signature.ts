import type { KeyObject } from 'node:crypto';
import { sign, verify } from 'node:crypto';

/** One sigstore signature: the payload bytes and the base64 ECDSA signature over them. */
export interface SigstoreSignature {
  payload: Buffer;
  /** Base64 of the ASN.1 DER ECDSA signature of SHA-256(payload), as in the `dev.cosignproject.cosign/signature` annotation. */
  signature: string;
  /** The layer's other annotations (certificate, bundle), kept when copying. */
  annotations?: Record<string, string>;
}

export function signSigstorePayload(payload: Buffer, privateKey: KeyObject): SigstoreSignature {
  return { payload, signature: sign('sha256', payload, privateKey).toString('base64') };
}

/** True when `signature` is `publicKey`'s signature of the payload. */
export function verifySigstorePayload(sig: SigstoreSignature, publicKey: KeyObject): boolean {
  const raw = Buffer.from(sig.signature, 'base64');
  if (raw.length === 0 || raw.toString('base64').replace(/=+$/, '') !== sig.signature.trim().replace(/=+$/, '')) return false;
  try {
    return verify('sha256', sig.payload, publicKey, raw);
  } catch {
    return false;
  }
}

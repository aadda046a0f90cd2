import type { KeyObject } from 'node:crypto';
import { createPrivateKey, createPublicKey, generateKeyPair, randomBytes, scrypt } from 'node:crypto';
import { promisify } from 'node:util';
import type Nacl from 'tweetnacl';
import { ImageStoreError } from '../errors.js';
import { loadOnUse } from '../load-on-use.js';

const nacl = loadOnUse<typeof Nacl>('tweetnacl');

/** PEM label of an encrypted private key as cosign (new) and containers/image write it. */
export const SIGSTORE_PRIVATE_KEY_PEM = 'ENCRYPTED SIGSTORE PRIVATE KEY';
/** The label older cosign releases wrote; still read. */
export const COSIGN_PRIVATE_KEY_PEM = 'ENCRYPTED COSIGN PRIVATE KEY';

/** cosign's scrypt parameters. */
const SCRYPT = { N: 32768, r: 8, p: 1 } as const;
/** Largest scrypt cost accepted from a key file (256 MiB of memory with r=8): a file cannot make us allocate without bound. */
const MAX_SCRYPT_N = 1 << 18;
const KEY_BYTES = 32;
const SALT_BYTES = 32;

const scryptAsync = promisify(scrypt) as (password: Buffer, salt: Buffer, keylen: number, options: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;

/** A key pair in cosign's files: an encrypted private key and a PKIX public key, both PEM. */
export interface SigstoreKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
}

/** The JSON inside the encrypted PEM block (the secure-systems-lab "encrypted" format cosign uses). */
interface EncryptedKeyDocument {
  kdf: { name: 'scrypt'; params: { N: number; r: number; p: number }; salt: string };
  cipher: { name: 'nacl/secretbox'; nonce: string };
  ciphertext: string;
}

export function pemEncode(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** The first PEM block of `text`: its label and bytes. */
export function pemDecode(text: string, what: string): { label: string; der: Buffer } {
  const m = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)\r?\n?-----END \1-----/.exec(text);
  if (m === null) throw new ImageStoreError('INVALID_ARGUMENT', `${what}: no PEM block found`);
  return { label: m[1]!, der: Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64') };
}

async function deriveKey(passphrase: Uint8Array, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  const maxmem = 128 * params.N * params.r * params.p + 16 * 1024 * 1024;
  return scryptAsync(Buffer.from(passphrase), salt, KEY_BYTES, { ...params, maxmem });
}

/** Generates an ECDSA P-256 key pair, the private key encrypted with `passphrase` as cosign does. */
export async function generateSigstoreKeyPair(passphrase: Uint8Array): Promise<SigstoreKeyPair> {
  const { privateKey, publicKey } = await promisify(generateKeyPair)('ec', { namedCurve: 'P-256' });
  const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
  const salt = randomBytes(SALT_BYTES);
  const nonce = randomBytes(nacl().secretbox.nonceLength);
  const key = await deriveKey(passphrase, salt, SCRYPT);
  const sealed = nacl().secretbox(pkcs8, nonce, key);
  const doc: EncryptedKeyDocument = {
    kdf: { name: 'scrypt', params: { ...SCRYPT }, salt: salt.toString('base64') },
    cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') },
    ciphertext: Buffer.from(sealed).toString('base64'),
  };
  return {
    privateKeyPem: pemEncode(SIGSTORE_PRIVATE_KEY_PEM, Buffer.from(JSON.stringify(doc))),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Decrypts a cosign / containers/image encrypted private key; a wrong passphrase is named as such. */
export async function loadSigstorePrivateKey(pem: string, passphrase: Uint8Array, options: { source?: string } = {}): Promise<KeyObject> {
  const what = options.source ?? 'private key';
  const { label, der } = pemDecode(pem, what);
  if (label !== SIGSTORE_PRIVATE_KEY_PEM && label !== COSIGN_PRIVATE_KEY_PEM) {
    throw new ImageStoreError('INVALID_ARGUMENT', `${what}: PEM block is "${label}", expected "${SIGSTORE_PRIVATE_KEY_PEM}" (a key made by generate-key or cosign generate-key-pair)`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(der.toString('utf8'));
  } catch {
    throw new ImageStoreError('INVALID_ARGUMENT', `${what}: the encrypted key is not JSON`);
  }
  const kdf = isObject(doc) && isObject(doc.kdf) ? doc.kdf : undefined;
  const params = kdf && isObject(kdf.params) ? kdf.params : undefined;
  const cipher = isObject(doc) && isObject(doc.cipher) ? doc.cipher : undefined;
  if (kdf?.name !== 'scrypt' || params === undefined || typeof kdf.salt !== 'string') throw new ImageStoreError('INVALID_ARGUMENT', `${what}: unsupported key derivation (expected scrypt)`);
  if (cipher?.name !== 'nacl/secretbox' || typeof cipher.nonce !== 'string') throw new ImageStoreError('INVALID_ARGUMENT', `${what}: unsupported cipher (expected nacl/secretbox)`);
  const ciphertext = (doc as { ciphertext?: unknown }).ciphertext;
  if (typeof ciphertext !== 'string') throw new ImageStoreError('INVALID_ARGUMENT', `${what}: no ciphertext`);
  const [N, r, p] = [params.N, params.r, params.p];
  if (![N, r, p].every((n) => Number.isSafeInteger(n) && (n as number) > 0) || (N as number) > MAX_SCRYPT_N) throw new ImageStoreError('INVALID_ARGUMENT', `${what}: bad scrypt parameters`);
  const nonce = Buffer.from(cipher.nonce, 'base64');
  if (nonce.length !== nacl().secretbox.nonceLength) throw new ImageStoreError('INVALID_ARGUMENT', `${what}: the nonce is not ${nacl().secretbox.nonceLength} bytes`);
  const key = await deriveKey(passphrase, Buffer.from(kdf.salt, 'base64'), { N: N as number, r: r as number, p: p as number });
  const opened = nacl().secretbox.open(Buffer.from(ciphertext, 'base64'), nonce, key);
  if (opened === null) throw new ImageStoreError('INVALID_ARGUMENT', `${what}: cannot decrypt it: wrong passphrase, or the key file was altered`);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: Buffer.from(opened), format: 'der', type: 'pkcs8' });
  } catch (e) {
    throw new ImageStoreError('INVALID_ARGUMENT', `${what}: the decrypted key is not PKCS#8: ${(e as Error).message}`, { cause: e });
  }
  checkP256(privateKey, what);
  return privateKey;
}

/** Reads a PKIX public key (PEM `PUBLIC KEY`) of an ECDSA P-256 signer. */
export function loadSigstorePublicKey(pem: string | Uint8Array, what = 'public key'): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(pem), format: 'pem' });
  } catch (e) {
    throw new ImageStoreError('INVALID_ARGUMENT', `${what}: not a PEM public key: ${(e as Error).message}`, { cause: e });
  }
  checkP256(key, what);
  return key;
}

function checkP256(key: KeyObject, what: string): void {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new ImageStoreError('INVALID_ARGUMENT', `${what}: an ECDSA P-256 key is needed, this is ${key.asymmetricKeyType ?? 'unknown'} ${key.asymmetricKeyDetails?.namedCurve ?? ''}`.trim());
  }
}

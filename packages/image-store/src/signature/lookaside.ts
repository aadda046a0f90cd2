import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Digest, ImageReference } from '@shimkit/oci-spec';
import { digestAlgorithm, digestHex } from '@shimkit/oci-spec';
import { ImageStoreError } from '../errors.js';

/** Signatures read at most per image, and bytes per signature. */
const MAX_SIGNATURES = 64;
const MAX_SIGNATURE_BYTES = 4 * 1024 * 1024;
const HTTP_TIMEOUT_MS = 30_000;

/** An image in a lookaside store: its repository path and manifest digest. */
export interface LookasideImage {
  repository: Pick<ImageReference, 'path'>;
  digest: Digest;
}

/** URL of the `index`-th (from 1) signature of `digest`: `<base>/<repo path>@sha256=<hex>/signature-<index>`. */
export function lookasideUrl(base: string, signature: LookasideImage & { index: number }): URL {
  const { repository, digest, index } = signature;
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${repository.path}@${digestAlgorithm(digest)}=${digestHex(digest)}/signature-${index}`;
  return url;
}

async function readOne(url: URL, signal?: AbortSignal): Promise<Buffer | undefined> {
  if (url.protocol === 'file:') {
    try {
      return await readFile(fileURLToPath(url), { signal });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new ImageStoreError('STORE_IO', `reading signature ${url.href}: ${(e as Error).message}`, { cause: e });
    }
  }
  const timeout = AbortSignal.timeout(HTTP_TIMEOUT_MS);
  const res = await fetch(url, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout, redirect: 'follow' }).catch((e: unknown) => {
    throw new ImageStoreError('REGISTRY_NETWORK', `reading signature ${url.href}: ${(e as Error).message}`, { cause: e });
  });
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new ImageStoreError('REGISTRY_PROTOCOL', `reading signature ${url.href}: HTTP ${res.status}`);
  const body = Buffer.from(await res.arrayBuffer());
  if (body.length > MAX_SIGNATURE_BYTES) throw new ImageStoreError('REGISTRY_PROTOCOL', `signature ${url.href} is larger than ${MAX_SIGNATURE_BYTES} bytes`);
  return body;
}

/** The signatures of an image in a lookaside store, read in order until the first missing one. */
export async function readLookasideSignatures(base: string, options: LookasideImage & { signal?: AbortSignal }): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let i = 1; i <= MAX_SIGNATURES; i++) {
    const sig = await readOne(lookasideUrl(base, { ...options, index: i }), options.signal);
    if (sig === undefined) break;
    out.push(sig);
  }
  return out;
}

/** Adds a signature after the existing ones in a `file://` lookaside (staging) store; returns the file written. */
export async function writeLookasideSignature(base: string, signature: Uint8Array, image: LookasideImage): Promise<string> {
  const { digest } = image;
  if (new URL(base).protocol !== 'file:') throw new ImageStoreError('INVALID_ARGUMENT', `signatures can only be written to a file:// lookaside, not ${base} (set lookaside-staging)`);
  for (let i = 1; i <= MAX_SIGNATURES; i++) {
    const file = fileURLToPath(lookasideUrl(base, { ...image, index: i }));
    await mkdir(dirname(file), { recursive: true });
    try {
      await writeFile(file, signature, { flag: 'wx' });
      return file;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new ImageStoreError('STORE_IO', `writing signature ${file}: ${(e as Error).message}`, { cause: e });
      if ((await readFile(file)).equals(Buffer.from(signature))) return file;
    }
  }
  throw new ImageStoreError('INVALID_ARGUMENT', `${base}: ${MAX_SIGNATURES} signatures of ${digest} already`);
}

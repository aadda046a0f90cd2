import type { Descriptor, Digest, ImageReference, MediaType } from '@shimkit/oci-spec';
import { ImageStoreError, throwIfAborted } from '../errors.js';
import type { HttpResponse, RequestBody } from './http-transport.js';
import { readAll } from './http-transport.js';
import { registryError } from './registry-error.js';

/** What the pusher needs from the registry client. */
export interface PushTransport {
  baseUrl(host: string): string;
  request(
    ref: Pick<ImageReference, 'domain' | 'path'>,
    path: string,
    init: { method?: string; headers?: Record<string, string>; body?: RequestBody; signal?: AbortSignal; retry?: boolean; actions?: string; url?: string },
  ): Promise<HttpResponse>;
  readonly progressTimeoutMs: number;
}

export interface PushBlobOptions {
  /** Try a cross-repository mount from this repository path of the same registry first. */
  mountFrom?: string;
  /**
   * Upload in PATCH chunks of this many bytes (for registries that bound a request's size).
   * Default: one PUT streaming the whole blob as the source delivers it.
   */
  chunkSize?: number;
  signal?: AbortSignal;
}

/** How a blob got into the registry. */
export type PushBlobResult = 'exists' | 'mounted' | 'uploaded';

async function failure(t: PushTransport, res: HttpResponse, what: string, signal?: AbortSignal): Promise<never> {
  const body = await readAll(res, t.progressTimeoutMs, 64 << 10, signal).catch(() => Buffer.alloc(0));
  const error = registryError(res.response.status, body.toString('utf8'), what);
  // The registry hashed what we sent and refused it: the source's bytes are not the blob they claim to be.
  if (error.registryCode === 'DIGEST_INVALID') throw new ImageStoreError('DIGEST_MISMATCH', `${what}: the source's bytes do not match the digest (the registry answered ${res.response.status} DIGEST_INVALID)`, { cause: error });
  throw error;
}

function location(res: HttpResponse, what: string): string {
  const loc = res.response.headers.get('location');
  if (!loc) throw new ImageStoreError('REGISTRY_PROTOCOL', `${what}: upload response has no Location`);
  return new URL(loc, res.url).toString();
}

function withDigest(url: string, digest: Digest): string {
  const u = new URL(url);
  u.searchParams.set('digest', digest);
  return u.toString();
}

/** Cuts a stream into buffers of exactly `size` bytes (the last may be shorter). */
async function* rechunk(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let length = 0;
  for await (const chunk of source) {
    let buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    while (length + buf.length >= size) {
      const take = size - length;
      parts.push(buf.subarray(0, take));
      yield Buffer.concat(parts);
      parts = [];
      length = 0;
      buf = buf.subarray(take);
    }
    if (buf.length > 0) {
      parts.push(Buffer.from(buf));
      length += buf.length;
    }
  }
  if (length > 0) yield Buffer.concat(parts);
}

/**
 * Uploads a blob unless the repository has it: HEAD first, then a
 * cross-repository mount when `mountFrom` is given, else one streamed PUT
 * (or PATCH chunks and a closing PUT when `chunkSize` is set).
 */
export async function pushBlob(
  t: PushTransport,
  ref: Pick<ImageReference, 'domain' | 'path'>,
  descriptor: Pick<Descriptor, 'digest' | 'size'>,
  open: () => AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: PushBlobOptions = {},
): Promise<PushBlobResult> {
  const { signal } = options;
  const what = `push of blob ${descriptor.digest} to ${ref.domain}/${ref.path}`;
  const head = await t.request(ref, `blobs/${descriptor.digest}`, { method: 'HEAD', signal, actions: 'pull,push' });
  head.abort();
  if (head.response.status === 200) return 'exists';
  if (head.response.status !== 404) throw registryError(head.response.status, '', what);

  const mount = options.mountFrom !== undefined && options.mountFrom !== ref.path
    ? `?mount=${encodeURIComponent(descriptor.digest)}&from=${encodeURIComponent(options.mountFrom)}`
    : '';
  const start = await t.request(ref, `blobs/uploads/${mount}`, { method: 'POST', signal, actions: 'pull,push', retry: false });
  if (start.response.status === 201 && mount !== '') {
    start.abort();
    return 'mounted';
  }
  if (start.response.status !== 202) await failure(t, start, what, signal);
  start.abort();
  const url = location(start, what);

  if (options.chunkSize === undefined) await putWhole(t, ref, withDigest(url, descriptor.digest), open(), descriptor.size, what, signal);
  else await putChunks(t, ref, url, open(), descriptor, options.chunkSize, what, signal);
  return 'uploaded';
}

/**
 * One PUT whose body streams from the source as it is read: downloading and uploading overlap,
 * and nothing is held in memory. The source must hold exactly `size` bytes.
 */
async function putWhole(
  t: PushTransport,
  ref: Pick<ImageReference, 'domain' | 'path'>,
  url: string,
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  size: number,
  what: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  // The source's own failure (or a size mismatch) reaches the request as a broken body; it is the one reported.
  let sourceError: unknown;
  async function* exactly(): AsyncGenerator<Uint8Array> {
    let sent = 0;
    try {
      for await (const chunk of source) {
        sent += chunk.byteLength;
        if (sent > size) throw new ImageStoreError('SIZE_MISMATCH', `${what}: source has more than the ${size} bytes expected`);
        yield chunk;
      }
      if (sent !== size) throw new ImageStoreError('SIZE_MISMATCH', `${what}: source has ${sent} bytes, expected ${size}`);
    } catch (e) {
      sourceError = e;
      throw e;
    }
  }
  let put: HttpResponse;
  try {
    put = await t.request(ref, '', { url, method: 'PUT', body: exactly(), headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) }, signal, actions: 'pull,push', retry: false });
  } catch (e) {
    throw sourceError ?? e;
  }
  if (sourceError !== undefined) {
    put.abort();
    throw sourceError;
  }
  if (put.response.status !== 201) await failure(t, put, what, signal);
  put.abort();
}

/** PATCH requests of `chunkSize` bytes each, then a closing PUT (for registries that bound a request's size). */
async function putChunks(
  t: PushTransport,
  ref: Pick<ImageReference, 'domain' | 'path'>,
  start: string,
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  descriptor: Pick<Descriptor, 'digest' | 'size'>,
  chunkSize: number,
  what: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  let url = start;
  let offset = 0;
  for await (const chunk of rechunk(source, chunkSize)) {
    throwIfAborted(signal, what);
    const patch = await t.request(ref, '', {
      url,
      method: 'PATCH',
      body: chunk,
      headers: { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${offset + chunk.length - 1}`, 'content-length': String(chunk.length) },
      signal,
      actions: 'pull,push',
      retry: false,
    });
    if (patch.response.status !== 202) await failure(t, patch, `${what} (chunk at ${offset})`, signal);
    patch.abort();
    url = location(patch, what);
    offset += chunk.length;
  }
  if (offset !== descriptor.size) throw new ImageStoreError('SIZE_MISMATCH', `${what}: source has ${offset} bytes, expected ${descriptor.size}`);
  const close = await t.request(ref, '', { url: withDigest(url, descriptor.digest), method: 'PUT', signal, actions: 'pull,push', headers: { 'content-length': '0' } });
  if (close.response.status !== 201) await failure(t, close, what, signal);
  close.abort();
}

/** PUTs a manifest or index under a tag or its digest; returns the digest the registry reports. */
export async function pushManifest(
  t: PushTransport,
  ref: Pick<ImageReference, 'domain' | 'path'>,
  reference: string,
  bytes: Uint8Array,
  mediaType: MediaType | string,
  options: { signal?: AbortSignal } = {},
): Promise<string | undefined> {
  const what = `push of manifest ${ref.domain}/${ref.path}:${reference}`;
  const res = await t.request(ref, `manifests/${reference}`, { method: 'PUT', body: bytes, headers: { 'content-type': mediaType }, signal: options.signal, actions: 'pull,push' });
  if (res.response.status !== 201) await failure(t, res, what, options.signal);
  res.abort();
  return res.response.headers.get('docker-content-digest') ?? undefined;
}

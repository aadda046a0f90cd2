import type { Descriptor, Digest, ImageReference, MediaType } from '@shimkit/oci-spec';
import { ImageStoreError, throwIfAborted } from '../errors.js';
import type { HttpResponse } from './http-transport.js';
import { readAll } from './http-transport.js';
import { registryError } from './registry-error.js';

/** What the pusher needs from the registry client. */
export interface PushTransport {
  baseUrl(host: string): string;
  request(
    ref: Pick<ImageReference, 'domain' | 'path'>,
    path: string,
    init: { method?: string; headers?: Record<string, string>; body?: Uint8Array | string; signal?: AbortSignal; retry?: boolean; actions?: string; url?: string },
  ): Promise<HttpResponse>;
  readonly progressTimeoutMs: number;
}

export interface PushBlobOptions {
  /** Try a cross-repository mount from this repository path of the same registry first. */
  mountFrom?: string;
  /** Blobs larger than this go up in PATCH chunks of this size (default 16 MiB); smaller ones in one PUT. */
  chunkSize?: number;
  signal?: AbortSignal;
}

/** How a blob got into the registry. */
export type PushBlobResult = 'exists' | 'mounted' | 'uploaded';

async function failure(t: PushTransport, res: HttpResponse, what: string, signal?: AbortSignal): Promise<never> {
  const body = await readAll(res, t.progressTimeoutMs, 64 << 10, signal).catch(() => Buffer.alloc(0));
  throw registryError(res.response.status, body.toString('utf8'), what);
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
 * cross-repository mount when `mountFrom` is given, else a monolithic PUT
 * (small blobs) or PATCH chunks and a closing PUT (large ones).
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
  let url = location(start, what);

  const chunkSize = options.chunkSize ?? 16 << 20;
  if (descriptor.size <= chunkSize) {
    const parts: Buffer[] = [];
    for await (const chunk of open()) parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    const body = Buffer.concat(parts);
    if (body.length !== descriptor.size) throw new ImageStoreError('SIZE_MISMATCH', `${what}: source has ${body.length} bytes, expected ${descriptor.size}`);
    const put = await t.request(ref, '', { url: withDigest(url, descriptor.digest), method: 'PUT', body, headers: { 'content-type': 'application/octet-stream' }, signal, actions: 'pull,push' });
    if (put.response.status !== 201) await failure(t, put, what, signal);
    put.abort();
    return 'uploaded';
  }

  let offset = 0;
  for await (const chunk of rechunk(open(), chunkSize)) {
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
  return 'uploaded';
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

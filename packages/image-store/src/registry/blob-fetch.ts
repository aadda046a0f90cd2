import type { Descriptor, ImageReference } from '@shimkit/oci-spec';
import { ImageStoreError, isImageStoreError, throwIfAborted } from '../errors.js';
import { readBody } from './http-transport.js';
import type { RegistryClient } from './registry-client.js';

/**
 * Streams a blob from `offset`. A body that breaks or ends short is resumed
 * with `Range: bytes=N-` (a server that ignores Range is skipped ahead), a
 * bounded number of times in a row without progress. Not verified here.
 */
export async function* blobRanges(client: RegistryClient, ref: ImageReference, descriptor: Pick<Descriptor, 'digest' | 'size'>, offset: number, signal?: AbortSignal): AsyncGenerator<Buffer> {
  let position = offset;
  let resumes = 0;
  const maxResumes = 5;
  const what = `blob ${descriptor.digest} of ${ref.domain}/${ref.path}`;
  for (;;) {
    throwIfAborted(signal, what);
    if (position >= descriptor.size) return;
    const headers: Record<string, string> = {};
    if (position > 0) headers.range = `bytes=${position}-`;
    // The transport already retried this request; resumes are for bodies cut short.
    const res = await client.request(ref, `blobs/${descriptor.digest}`, { headers, signal });
    const { status } = res.response;
    let skip = 0;
    if (status === 206) {
      const start = /^bytes (\d+)-/.exec(res.response.headers.get('content-range') ?? '')?.[1];
      if (Number(start) !== position) {
        res.abort();
        throw new ImageStoreError('REGISTRY_PROTOCOL', `${what}: asked for bytes from ${position}, got Content-Range ${res.response.headers.get('content-range')}`);
      }
    } else if (status === 200) {
      skip = position; // the server ignored Range: drop what we already have
    } else {
      await client.fail(res, what, signal);
    }
    try {
      for await (const chunk of readBody(res, client.transport.progressTimeoutMs, signal)) {
        if (skip > 0) {
          if (chunk.length <= skip) {
            skip -= chunk.length;
            continue;
          }
          const rest = chunk.subarray(skip);
          skip = 0;
          position += rest.length;
          yield rest;
          continue;
        }
        position += chunk.length;
        resumes = 0;
        yield chunk;
      }
    } catch (e) {
      if (!isImageStoreError(e, 'REGISTRY_NETWORK') || resumes++ >= maxResumes) throw e;
      await new Promise((r) => setTimeout(r, client.transport.backoff(resumes)));
      continue;
    }
    if (position >= descriptor.size) return;
    // Body ended early without an error: resume like a broken connection.
    if (resumes++ >= maxResumes) throw new ImageStoreError('REGISTRY_NETWORK', `${what}: body ended at ${position} of ${descriptor.size} bytes`);
  }
}

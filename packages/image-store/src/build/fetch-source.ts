import { createWriteStream } from 'node:fs';
import { lstat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ImageStoreError } from '../errors.js';
import type { SourcePath } from './build-context.js';

/** Longest an ADD download may take. */
const FETCH_TIMEOUT_MS = 10 * 60_000;

/** The file name an ADD of `url` writes (the last component of its path), or undefined when it has none. */
export function urlFileName(url: string): string | undefined {
  const last = new URL(url).pathname.split('/').filter((p) => p !== '').pop();
  return last === undefined ? undefined : decodeURIComponent(last);
}

/**
 * Downloads an ADD source URL into `dir` as ADD does: mode 0600, the time of its
 * Last-Modified header when it has one. The result is a source to copy, never unpacked.
 */
export async function fetchSource(url: string, dir: string, options: { what: string; signal?: AbortSignal }): Promise<SourcePath> {
  const name = urlFileName(url) ?? 'download';
  const path = join(dir, `${Math.random().toString(16).slice(2)}-${name}`);
  const signal = AbortSignal.any([AbortSignal.timeout(FETCH_TIMEOUT_MS), ...(options.signal ? [options.signal] : [])]);
  let response: Response;
  try {
    response = await fetch(url, { signal, redirect: 'follow' });
  } catch (e) {
    throw new ImageStoreError(options.signal?.aborted ? 'ABORTED' : 'NOT_FOUND', `${options.what}: cannot fetch ${url}: ${(e as Error).message}`, { cause: e });
  }
  if (!response.ok || response.body === null) {
    await response.body?.cancel();
    throw new ImageStoreError('NOT_FOUND', `${options.what}: ${url} answered ${response.status} ${response.statusText}`.trimEnd());
  }
  await pipeline(Readable.fromWeb(response.body as WebReadableStream), createWriteStream(path, { mode: 0o600 }));
  const modified = Date.parse(response.headers.get('last-modified') ?? '');
  if (!Number.isNaN(modified)) await utimes(path, new Date(modified), new Date(modified));
  return { rel: name, abs: path, stats: await lstat(path), remote: true };
}

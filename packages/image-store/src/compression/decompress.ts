import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { layerCompression } from '@shimkit/oci-spec';
import { ImageStoreError, isImageStoreError } from '../errors.js';
import { chunksOf } from '../stream/chunks-of.js';
import { unzstd, type ZstdDecoder } from './zstd.js';

/** Compression of a layer blob. */
export type Compression = 'gzip' | 'zstd' | 'none';

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/** Recognises gzip and zstd by their magic bytes; anything else is taken as plain tar. */
export function detectCompression(head: Uint8Array): Compression {
  if (GZIP_MAGIC.every((b, i) => head[i] === b)) return 'gzip';
  if (ZSTD_MAGIC.every((b, i) => head[i] === b)) return 'zstd';
  return 'none';
}

/**
 * The compression a layer media type declares, or undefined for a media type
 * that is not a layer (a caller may then fall back to magic bytes).
 */
export function compressionOfMediaType(mediaType: string): Compression | undefined {
  return layerCompression(mediaType);
}

async function* gunzip(source: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  // Large output chunks: fewer, bigger writes downstream.
  const inflater = createGunzip({ chunkSize: 256 * 1024 });
  const feeding = pipeline(Readable.from(source, { objectMode: false }), inflater);
  // The pipeline rejects with the same error that ends the iteration below; keep it from going unhandled.
  feeding.catch(() => undefined);
  try {
    yield* chunksOf(inflater);
    await feeding;
  } catch (e) {
    if (e instanceof ImageStoreError) throw e;
    throw new ImageStoreError('DECOMPRESS_FAILED', `gzip: ${(e as Error).message}`, { cause: e });
  } finally {
    inflater.destroy();
  }
}

export interface DecompressOptions {
  zstd?: ZstdDecoder;
  /** What is decompressed (e.g. `layer sha256:...`): put before the message of a DECOMPRESS_FAILED error. */
  label?: string;
}

/**
 * Decompresses a layer stream. With 'auto' the first bytes decide (gzip and
 * zstd magic numbers; otherwise plain tar).
 */
export async function* decompress(source: AsyncIterable<Uint8Array>, compression: Compression | 'auto' = 'auto', options: DecompressOptions = {}): AsyncGenerator<Buffer> {
  try {
    yield* decompressAs(source, compression, options.zstd);
  } catch (e) {
    if (options.label === undefined || !isImageStoreError(e, 'DECOMPRESS_FAILED')) throw e;
    throw new ImageStoreError('DECOMPRESS_FAILED', `${options.label}: ${e.message}`, { cause: e });
  }
}

async function* decompressAs(source: AsyncIterable<Uint8Array>, compression: Compression | 'auto', zstd: ZstdDecoder | undefined): AsyncGenerator<Buffer> {
  let kind = compression;
  let input = source;
  if (kind === 'auto') {
    const iterator = source[Symbol.asyncIterator]();
    let head = Buffer.alloc(0);
    const seen: Buffer[] = [];
    while (head.length < ZSTD_MAGIC.length) {
      const next = await iterator.next();
      if (next.done) break;
      seen.push(Buffer.from(next.value));
      head = Buffer.concat(seen);
    }
    kind = detectCompression(head);
    input = (async function* () {
      yield* seen;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value;
      }
    })();
  }
  switch (kind) {
    case 'gzip':
      yield* gunzip(input);
      return;
    case 'zstd':
      yield* unzstd(input, zstd);
      return;
    case 'none':
      for await (const chunk of input) yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      return;
  }
}

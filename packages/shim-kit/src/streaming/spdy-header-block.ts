import { constants, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';
import { SPDY3_DICTIONARY } from './spdy-dictionary.js';
import { SpdyError } from './spdy-error.js';

/**
 * SPDY name/value headers. Names are lowercase; a name with several values is sent as one value
 * with the values separated by NUL bytes, and split again on decode.
 */
export type SpdyHeaders = ReadonlyMap<string, readonly string[]>;

/** Default limit of an inflated header block. */
export const DEFAULT_MAX_HEADER_BLOCK_LENGTH = 256 * 1024;

/** Serializes headers into the uncompressed SPDY/3 block: a 32-bit pair count, then length-prefixed names and values. */
export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const parts: Buffer[] = [uint32(headers.size)];
  for (const [rawName, values] of headers) {
    const name = rawName.toLowerCase();
    if (name.length === 0) throw new SpdyError('MalformedHeaderBlock', 'SPDY header name is empty');
    if (values.length === 0) throw new SpdyError('MalformedHeaderBlock', `SPDY header "${name}" has no value`);
    const nameBytes = Buffer.from(name, 'utf8');
    const valueBytes = Buffer.from(values.join('\0'), 'utf8');
    parts.push(uint32(nameBytes.length), nameBytes, uint32(valueBytes.length), valueBytes);
  }
  return Buffer.concat(parts);
}

/** Parses an uncompressed SPDY/3 header block; throws `MalformedHeaderBlock` naming what is wrong. */
export function decodeHeaderBlock(block: Buffer): Map<string, string[]> {
  let offset = 0;
  const take = (what: string): Buffer => {
    if (offset + 4 > block.length) throw new SpdyError('MalformedHeaderBlock', `SPDY header block truncated before the length of ${what}`);
    const length = block.readUInt32BE(offset);
    offset += 4;
    if (offset + length > block.length) {
      throw new SpdyError('MalformedHeaderBlock', `SPDY header block truncated: ${what} claims ${length} bytes, ${block.length - offset} left`);
    }
    const bytes = block.subarray(offset, offset + length);
    offset += length;
    return bytes;
  };
  if (block.length < 4) throw new SpdyError('MalformedHeaderBlock', `SPDY header block of ${block.length} bytes has no pair count`);
  const count = block.readUInt32BE(0);
  offset = 4;
  // Each pair needs at least 8 bytes of lengths: a larger count is a lie, refuse before looping.
  if (count > (block.length - 4) / 8) throw new SpdyError('MalformedHeaderBlock', `SPDY header block claims ${count} pairs in ${block.length} bytes`);
  const headers = new Map<string, string[]>();
  for (let i = 0; i < count; i++) {
    const name = take(`name ${i}`).toString('utf8');
    const value = take(`value ${i}`).toString('utf8');
    if (name.length === 0) throw new SpdyError('MalformedHeaderBlock', `SPDY header ${i} has an empty name`);
    const key = name.toLowerCase();
    if (headers.has(key)) throw new SpdyError('MalformedHeaderBlock', `SPDY header "${key}" appears twice`);
    headers.set(key, value.split('\0'));
  }
  if (offset !== block.length) throw new SpdyError('MalformedHeaderBlock', `SPDY header block has ${block.length - offset} bytes after its ${count} pairs`);
  return headers;
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/**
 * Runs blocks through one zlib stream, one at a time, each ended with a sync flush: SPDY/3 keeps
 * a single compression context per direction for the whole connection.
 */
class SerialZlib {
  private queue: Promise<unknown> = Promise.resolve();
  private chunks: Buffer[] = [];
  private total = 0;
  private failure: Error | undefined;
  private pending: ((e: Error) => void) | undefined;

  constructor(
    private readonly stream: Deflate | Inflate,
    private readonly limit: number,
  ) {
    stream.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.total += chunk.length;
      // Stop a decompression bomb while it inflates, not after it is all in memory.
      if (this.total > this.limit) this.fail(new Error(`output exceeds ${this.limit} bytes`));
    });
    stream.on('error', (e: Error) => this.fail(e));
  }

  run(input: Buffer): Promise<Buffer> {
    const result = this.queue.then(() => this.runNow(input));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.stream.destroy();
    const reject = this.pending;
    this.pending = undefined;
    reject?.(this.failure);
  }

  private runNow(input: Buffer): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<Buffer>((resolve, reject) => {
      this.pending = reject;
      this.stream.write(input);
      this.stream.flush(constants.Z_SYNC_FLUSH, () => {
        if (this.pending !== reject) return;
        this.pending = undefined;
        const out = Buffer.concat(this.chunks, this.total);
        this.chunks = [];
        this.total = 0;
        resolve(out);
      });
    });
  }

  close(): void {
    this.fail(new Error('closed'));
  }
}

/** Compresses header blocks for one direction of a SPDY/3 connection (one zlib context, SPDY/3 dictionary). */
export class SpdyHeaderCompressor {
  private readonly zlib = new SerialZlib(createDeflate({ dictionary: SPDY3_DICTIONARY }), Number.MAX_SAFE_INTEGER);

  /** The compressed form of `headers`, continuing the connection's compression context. */
  async compress(headers: SpdyHeaders): Promise<Buffer> {
    const plain = encodeHeaderBlock(headers);
    try {
      return await this.zlib.run(plain);
    } catch (e) {
      throw new SpdyError('CompressionFailed', `SPDY header compression failed: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Releases the zlib context. */
  close(): void {
    this.zlib.close();
  }
}

/** Decompresses header blocks for one direction of a SPDY/3 connection; a failure poisons the context, as it must. */
export class SpdyHeaderDecompressor {
  private readonly zlib: SerialZlib;

  constructor(options: { maxHeaderBlockLength?: number } = {}) {
    this.zlib = new SerialZlib(createInflate({ dictionary: SPDY3_DICTIONARY }), options.maxHeaderBlockLength ?? DEFAULT_MAX_HEADER_BLOCK_LENGTH);
  }

  /** Inflates and parses one compressed header block. */
  async decompress(block: Buffer): Promise<Map<string, string[]>> {
    let plain: Buffer;
    try {
      plain = await this.zlib.run(block);
    } catch (e) {
      throw new SpdyError('MalformedHeaderBlock', `SPDY header block does not inflate: ${(e as Error).message}`, { cause: e });
    }
    return decodeHeaderBlock(plain);
  }

  /** Releases the zlib context. */
  close(): void {
    this.zlib.close();
  }
}

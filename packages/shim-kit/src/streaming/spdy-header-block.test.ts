import { createHash, randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SPDY3_DICTIONARY } from './spdy-dictionary.js';
import { isSpdyError } from './spdy-error.js';
import { SpdyHeaderCompressor, SpdyHeaderDecompressor, decodeHeaderBlock, encodeHeaderBlock } from './spdy-header-block.js';

describe('SPDY/3 dictionary', () => {
  it('is the 1423 bytes of the spec', () => {
    expect(SPDY3_DICTIONARY.length).toBe(1423);
    expect(createHash('sha256').update(SPDY3_DICTIONARY).digest('hex')).toBe('51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02');
  });
});

describe('header blocks', () => {
  it('round-trips plain blocks, lowercasing names and splitting NUL-joined values', () => {
    const block = encodeHeaderBlock(new Map([['StreamType', ['stdout']], ['multi', ['a', 'b']], ['empty', ['']]]));
    expect(decodeHeaderBlock(block)).toEqual(new Map([['streamtype', ['stdout']], ['multi', ['a', 'b']], ['empty', ['']]]));
  });

  it('rejects truncated, lying, duplicate, empty-name and trailing-byte blocks', () => {
    const good = encodeHeaderBlock(new Map([['a', ['1']]]));
    const dup = Buffer.concat([Buffer.from([0, 0, 0, 2]), good.subarray(4), good.subarray(4)]);
    const emptyName = Buffer.from([0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0x78]);
    const cases: Array<[Buffer, RegExp]> = [
      [Buffer.from([0, 0]), /no pair count/],
      [good.subarray(0, good.length - 1), /truncated/],
      [Buffer.from([0, 0, 0, 9, 0, 0, 0, 0]), /claims 9 pairs/],
      [dup, /"a" appears twice/],
      [emptyName, /empty name/],
      [Buffer.concat([good, Buffer.from([1])]), /1 bytes after/],
    ];
    for (const [bytes, message] of cases) {
      let caught: unknown;
      try {
        decodeHeaderBlock(bytes);
      } catch (e) {
        caught = e;
      }
      expect(isSpdyError(caught, 'MalformedHeaderBlock'), String(caught)).toBe(true);
      expect((caught as Error).message).toMatch(message);
    }
    expect(() => encodeHeaderBlock(new Map([['', ['x']]]))).toThrow(/name is empty/);
  });

  it('compresses with one context per direction: later blocks depend on earlier ones', async () => {
    const compressor = new SpdyHeaderCompressor();
    const decompressor = new SpdyHeaderDecompressor();
    try {
      const headers = new Map([['streamtype', ['stdin']], ['x-stream-protocol-version', ['v4.channel.k8s.io']], ['noise', [randomBytes(3000).toString('hex')]]]);
      const first = await compressor.compress(headers);
      const second = await compressor.compress(headers);
      // The repeat is encoded as back-references into the shared history, so it is much smaller.
      expect(second.length).toBeLessThan(first.length / 2);
      expect(await decompressor.decompress(first)).toEqual(headers);
      expect(await decompressor.decompress(second)).toEqual(headers);
      // A fresh context cannot read the second block alone.
      const fresh = new SpdyHeaderDecompressor();
      await expect(fresh.decompress(second)).rejects.toSatisfy((e) => isSpdyError(e, 'MalformedHeaderBlock'));
      fresh.close();
    } finally {
      compressor.close();
      decompressor.close();
    }
  });

  it('uses the SPDY dictionary (readable by a plain zlib stream seeded with it)', async () => {
    const plain = encodeHeaderBlock(new Map([['content-type', ['text/plain']]]));
    const decompressor = new SpdyHeaderDecompressor();
    try {
      expect(await decompressor.decompress(deflateSync(plain, { dictionary: SPDY3_DICTIONARY }))).toEqual(new Map([['content-type', ['text/plain']]]));
    } finally {
      decompressor.close();
    }
  });

  it('refuses garbage and blocks that inflate past the limit, and stays failed', async () => {
    const decompressor = new SpdyHeaderDecompressor({ maxHeaderBlockLength: 1024 });
    const bomb = deflateSync(encodeHeaderBlock(new Map([['a', ['z'.repeat(10_000)]]])), { dictionary: SPDY3_DICTIONARY });
    await expect(decompressor.decompress(bomb)).rejects.toThrow(/exceeds 1024 bytes/);
    await expect(decompressor.decompress(bomb)).rejects.toSatisfy((e) => isSpdyError(e, 'MalformedHeaderBlock'));
    decompressor.close();
    const other = new SpdyHeaderDecompressor();
    await expect(other.decompress(Buffer.from('not zlib at all'))).rejects.toSatisfy((e) => isSpdyError(e, 'MalformedHeaderBlock'));
    other.close();
  });
});

describe('large header blocks', () => {
  it('round-trips a block far larger than zlib chunks', async () => {
    const compressor = new SpdyHeaderCompressor();
    const decompressor = new SpdyHeaderDecompressor({ maxHeaderBlockLength: 4 * 1024 * 1024 });
    try {
      const headers = new Map([['noise', [randomBytes(600_000).toString('base64')]]]);
      for (let i = 0; i < 3; i++) expect(await decompressor.decompress(await compressor.compress(headers))).toEqual(headers);
    } finally {
      compressor.close();
      decompressor.close();
    }
  });
});

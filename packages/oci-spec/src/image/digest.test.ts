import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { isOciSpecError } from '../errors.js';
import {
  createDigester,
  createDigestVerifier,
  digestAlgorithm,
  digestHex,
  digestOf,
  parseDigest,
  tryParseDigest,
  verifyDigest,
} from './digest.js';

const EMPTY_SHA256 = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const sink = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });

describe('parseDigest', () => {
  it('accepts sha256 and sha512 in lowercase hex', () => {
    expect(parseDigest(EMPTY_SHA256)).toBe(EMPTY_SHA256);
    const sha512 = digestOf('', 'sha512');
    expect(parseDigest(sha512)).toBe(sha512);
    expect(digestAlgorithm(sha512)).toBe('sha512');
    expect(digestHex(parseDigest(EMPTY_SHA256))).toHaveLength(64);
  });

  it.each([
    ['', 'INVALID_DIGEST'],
    ['sha256', 'INVALID_DIGEST'],
    ['sha256:', 'INVALID_DIGEST'],
    [':abc', 'INVALID_DIGEST'],
    [EMPTY_SHA256.toUpperCase(), 'INVALID_DIGEST'],
    [EMPTY_SHA256.replace('sha256', 'SHA256'), 'INVALID_DIGEST'],
    [EMPTY_SHA256.slice(0, -1), 'INVALID_DIGEST'],
    [`${EMPTY_SHA256}0`, 'INVALID_DIGEST'],
    [EMPTY_SHA256.replace('e3b0', 'E3B0'), 'INVALID_DIGEST'],
    [`sha512:${'a'.repeat(64)}`, 'INVALID_DIGEST'],
    [`md5:${'a'.repeat(32)}`, 'UNSUPPORTED_DIGEST_ALGORITHM'],
    [`blake3:${'a'.repeat(64)}`, 'UNSUPPORTED_DIGEST_ALGORITHM'],
    [42, 'INVALID_DIGEST'],
    [null, 'INVALID_DIGEST'],
  ] as const)('rejects %j with %s', (input, code) => {
    expect(() => parseDigest(input)).toThrow(expect.objectContaining({ code }));
    expect(tryParseDigest(input)).toBeUndefined();
  });

  it('names the problem in the message', () => {
    expect(() => parseDigest('sha256:abc')).toThrow(/expected 64 lowercase hex digits/);
  });
});

describe('digestOf / verifyDigest', () => {
  it('hashes bytes and strings', () => {
    expect(digestOf(new Uint8Array())).toBe(EMPTY_SHA256);
    expect(digestOf('{}')).toBe('sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
    expect(verifyDigest('{}', digestOf('{}'))).toBe(true);
    expect(verifyDigest('{ }', digestOf('{}'))).toBe(false);
  });
  it('rejects an unsupported algorithm', () => {
    expect(() => digestOf('', 'md5' as never)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_DIGEST_ALGORITHM' }));
  });
});

describe('streaming', () => {
  const chunks = ['hello ', 'streaming ', 'world'];
  const whole = chunks.join('');

  it('digester passes data through and reports digest and size', async () => {
    const digester = createDigester();
    const seen: Buffer[] = [];
    await pipeline(Readable.from(chunks.map((c) => Buffer.from(c))), digester, new Writable({
      write: (c: Buffer, _e, cb) => { seen.push(c); cb(); },
    }));
    expect(Buffer.concat(seen).toString()).toBe(whole);
    expect(digester.digest()).toBe(digestOf(whole));
    expect(digester.size).toBe(whole.length);
  });

  it('digester refuses digest() before finishing', () => {
    expect(() => createDigester().digest()).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('verifier succeeds on matching content', async () => {
    const verifier = createDigestVerifier(digestOf(whole, 'sha512'), { size: whole.length });
    await pipeline(Readable.from(chunks.map((c) => Buffer.from(c))), verifier, sink());
    expect(verifier.digest()).toBe(digestOf(whole, 'sha512'));
  });

  it('verifier fails with DIGEST_MISMATCH', async () => {
    const verifier = createDigestVerifier(digestOf('other'));
    const err = await pipeline(Readable.from([Buffer.from(whole)]), verifier, sink()).catch((e: unknown) => e);
    expect(isOciSpecError(err, 'DIGEST_MISMATCH')).toBe(true);
  });

  it('verifier fails early when content is longer than size', async () => {
    const verifier = createDigestVerifier(digestOf(whole), { size: 3 });
    const err = await pipeline(Readable.from([Buffer.from(whole)]), verifier, sink()).catch((e: unknown) => e);
    expect(isOciSpecError(err, 'SIZE_MISMATCH')).toBe(true);
  });

  it('verifier fails when content is shorter than size', async () => {
    const verifier = createDigestVerifier(digestOf(whole), { size: whole.length + 1 });
    const err = await pipeline(Readable.from([Buffer.from(whole)]), verifier, sink()).catch((e: unknown) => e);
    expect(isOciSpecError(err, 'SIZE_MISMATCH')).toBe(true);
  });

  it('verifier rejects a bad size option', () => {
    expect(() => createDigestVerifier(digestOf(''), { size: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

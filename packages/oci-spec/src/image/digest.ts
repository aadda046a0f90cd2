import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { OciSpecError } from '../errors.js';

declare const digestBrand: unique symbol;

/**
 * A content digest such as `sha256:<64 hex>`. Only {@link parseDigest} and {@link digestOf}
 * produce one, so holding a `Digest` means the string is well formed.
 */
export type Digest = string & { readonly [digestBrand]: true };

/** The digest algorithms this package accepts. */
export type DigestAlgorithm = 'sha256' | 'sha512';

const HEX_LENGTH: Readonly<Record<DigestAlgorithm, number>> = { sha256: 64, sha512: 128 };

/** Grammar of any digest string from the image-spec (`algorithm ":" encoded`), registered or not. */
const DIGEST_GRAMMAR = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** The algorithms this package can parse and compute. */
export const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ['sha256', 'sha512'];

/** True for `sha256` and `sha512`. */
export function isDigestAlgorithm(value: unknown): value is DigestAlgorithm {
  return value === 'sha256' || value === 'sha512';
}

/** True when `value` matches the image-spec's general digest grammar, whatever the algorithm. */
export function matchesDigestGrammar(value: string): boolean {
  return DIGEST_GRAMMAR.test(value);
}

/**
 * Parses a digest string. Accepts `sha256` (64 hex digits) and `sha512` (128 hex digits), in lowercase only.
 * @throws OciSpecError `INVALID_DIGEST` for a malformed string, `UNSUPPORTED_DIGEST_ALGORITHM` for a
 *   well-formed digest of another algorithm.
 */
export function parseDigest(value: unknown): Digest {
  const problem = digestProblem(value);
  if (problem !== undefined) throw new OciSpecError(problem.code, problem.message);
  return value as Digest;
}

/** Like {@link parseDigest} but returns `undefined` instead of throwing. */
export function tryParseDigest(value: unknown): Digest | undefined {
  return digestProblem(value) === undefined ? (value as Digest) : undefined;
}

/** Describes why `value` is not an acceptable digest, or returns `undefined` when it is one. */
export function digestProblem(
  value: unknown,
): { code: 'INVALID_DIGEST' | 'UNSUPPORTED_DIGEST_ALGORITHM'; message: string } | undefined {
  if (typeof value !== 'string') {
    return { code: 'INVALID_DIGEST', message: `digest must be a string, got ${typeof value}` };
  }
  const shown = JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}...` : value);
  const colon = value.indexOf(':');
  if (colon <= 0 || !DIGEST_GRAMMAR.test(value)) {
    return { code: 'INVALID_DIGEST', message: `invalid digest ${shown}: expected "algorithm:hex"` };
  }
  const algorithm = value.slice(0, colon);
  const hex = value.slice(colon + 1);
  if (!isDigestAlgorithm(algorithm)) {
    return {
      code: 'UNSUPPORTED_DIGEST_ALGORITHM',
      message: `unsupported digest algorithm "${algorithm}" in ${shown}: expected sha256 or sha512`,
    };
  }
  const expected = HEX_LENGTH[algorithm];
  if (hex.length !== expected || !/^[0-9a-f]+$/.test(hex)) {
    return {
      code: 'INVALID_DIGEST',
      message: `invalid ${algorithm} digest ${shown}: expected ${expected} lowercase hex digits`,
    };
  }
  return undefined;
}

/** The algorithm part of a digest (`sha256` in `sha256:abc...`). */
export function digestAlgorithm(digest: Digest): DigestAlgorithm {
  return digest.slice(0, digest.indexOf(':')) as DigestAlgorithm;
}

/** The hex part of a digest (after the colon). */
export function digestHex(digest: Digest): string {
  return digest.slice(digest.indexOf(':') + 1);
}

/** Computes the digest of some bytes (a string is hashed as UTF-8). */
export function digestOf(data: Uint8Array | string, algorithm: DigestAlgorithm = 'sha256'): Digest {
  assertAlgorithm(algorithm);
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}` as Digest;
}

/** True when `data` hashes to `digest`. */
export function verifyDigest(data: Uint8Array | string, digest: Digest): boolean {
  return digestOf(data, digestAlgorithm(digest)) === digest;
}

/** A pass-through stream that hashes what flows through it. */
export class DigestingStream extends Transform {
  readonly #algorithm: DigestAlgorithm;
  readonly #hash;
  #size = 0;
  #digest: Digest | undefined;

  constructor(algorithm: DigestAlgorithm = 'sha256') {
    super();
    assertAlgorithm(algorithm);
    this.#algorithm = algorithm;
    this.#hash = createHash(algorithm);
  }

  /** Bytes seen so far. */
  get size(): number {
    return this.#size;
  }

  /**
   * The digest of everything that passed through.
   * @throws OciSpecError `INVALID_ARGUMENT` when called before the stream has finished.
   */
  digest(): Digest {
    if (this.#digest === undefined) {
      throw new OciSpecError('INVALID_ARGUMENT', 'digest() called before the stream finished');
    }
    return this.#digest;
  }

  override _transform(chunk: unknown, encoding: BufferEncoding, callback: TransformCallback): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : (chunk as Uint8Array);
    this.#size += bytes.byteLength;
    this.#hash.update(bytes);
    this.onChunk(callback, bytes);
  }

  override _flush(callback: TransformCallback): void {
    this.#digest = `${this.#algorithm}:${this.#hash.digest('hex')}` as Digest;
    this.onFinish(callback, this.#digest);
  }

  /** Hook for subclasses: pass the chunk on (or fail). */
  protected onChunk(callback: TransformCallback, bytes: Uint8Array): void {
    callback(null, bytes);
  }

  /** Hook for subclasses: called once with the final digest. */
  protected onFinish(callback: TransformCallback, _digest: Digest): void {
    callback();
  }
}

/** Options for {@link DigestVerifyingStream}. */
export interface DigestVerifyOptions {
  /** Expected size in bytes; more or fewer bytes is an error (`SIZE_MISMATCH`). */
  size?: number;
}

/**
 * A pass-through stream that fails with `DIGEST_MISMATCH` (or `SIZE_MISMATCH`) when the content
 * does not match the expected digest. The error is raised at the end of the stream (or as soon as
 * the content is longer than `size`), so consumers must not trust the bytes until the stream ends cleanly.
 */
export class DigestVerifyingStream extends DigestingStream {
  readonly #expected: Digest;
  readonly #expectedSize: number | undefined;

  constructor(expected: Digest, options: DigestVerifyOptions = {}) {
    super(digestAlgorithm(expected));
    if (options.size !== undefined && (!Number.isSafeInteger(options.size) || options.size < 0)) {
      throw new OciSpecError('INVALID_ARGUMENT', `size must be a non-negative integer, got ${options.size}`);
    }
    this.#expected = expected;
    this.#expectedSize = options.size;
  }

  protected override onChunk(callback: TransformCallback, bytes: Uint8Array): void {
    if (this.#expectedSize !== undefined && this.size > this.#expectedSize) {
      callback(
        new OciSpecError(
          'SIZE_MISMATCH',
          `content of ${this.#expected} is larger than the expected ${this.#expectedSize} bytes`,
        ),
      );
      return;
    }
    callback(null, bytes);
  }

  protected override onFinish(callback: TransformCallback, digest: Digest): void {
    if (this.#expectedSize !== undefined && this.size !== this.#expectedSize) {
      callback(
        new OciSpecError(
          'SIZE_MISMATCH',
          `content of ${this.#expected} has ${this.size} bytes, expected ${this.#expectedSize}`,
        ),
      );
      return;
    }
    if (digest !== this.#expected) {
      callback(new OciSpecError('DIGEST_MISMATCH', `content digest ${digest} does not match expected ${this.#expected}`));
      return;
    }
    callback();
  }
}

/** Creates a hashing pass-through stream; read `.digest()` after it finishes. */
export function createDigester(algorithm: DigestAlgorithm = 'sha256'): DigestingStream {
  return new DigestingStream(algorithm);
}

/** Creates a pass-through stream that errors unless the content matches `expected` (and `size`, if given). */
export function createDigestVerifier(expected: Digest, options: DigestVerifyOptions = {}): DigestVerifyingStream {
  return new DigestVerifyingStream(expected, options);
}

function assertAlgorithm(algorithm: unknown): asserts algorithm is DigestAlgorithm {
  if (!isDigestAlgorithm(algorithm)) {
    throw new OciSpecError('UNSUPPORTED_DIGEST_ALGORITHM', `unsupported digest algorithm ${String(algorithm)}`);
  }
}

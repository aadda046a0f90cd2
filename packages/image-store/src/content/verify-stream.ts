import { createHash } from 'node:crypto';
import type { Digest } from '@shimkit/oci-spec';
import { digestAlgorithm } from '@shimkit/oci-spec';
import { ImageStoreError } from '../errors.js';

/**
 * Passes a stream through while hashing it; fails with SIZE_MISMATCH as soon
 * as it is longer than `size`, and with SIZE_MISMATCH or DIGEST_MISMATCH at
 * its end. Consumers must not trust what they saw until the stream ends cleanly.
 */
export async function* verifyStream(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, expected: { digest: Digest; size?: number }, what = 'content'): AsyncGenerator<Buffer> {
  const hash = createHash(digestAlgorithm(expected.digest));
  let size = 0;
  for await (const chunk of source) {
    size += chunk.length;
    if (expected.size !== undefined && size > expected.size) {
      throw new ImageStoreError('SIZE_MISMATCH', `${what} ${expected.digest} is larger than the expected ${expected.size} bytes`);
    }
    hash.update(chunk);
    yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
  if (expected.size !== undefined && size !== expected.size) {
    throw new ImageStoreError('SIZE_MISMATCH', `${what} ${expected.digest} has ${size} bytes, expected ${expected.size}`);
  }
  const actual = `${digestAlgorithm(expected.digest)}:${hash.digest('hex')}`;
  if (actual !== expected.digest) throw new ImageStoreError('DIGEST_MISMATCH', `${what} digest ${actual} does not match expected ${expected.digest}`);
}

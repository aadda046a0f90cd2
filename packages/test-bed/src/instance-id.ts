import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Every resource a test-bed instance creates on the host (temp dirs, bridges,
 * CNI networks) carries this prefix followed by a random part, so leftovers can
 * be found by name.
 */
export const TEST_BED_PREFIX = 'stb';

/** A fresh instance id: the prefix and 6 random hex digits (9 chars, fits an interface name). */
export function newInstanceId(): string {
  return TEST_BED_PREFIX + randomBytes(3).toString('hex');
}

/**
 * Makes the instance's temp dir directly under /tmp. Kept short on purpose: unix
 * socket paths inside it must stay under 107 bytes.
 */
export async function makeInstanceDir(id: string, kind: string): Promise<string> {
  return mkdtemp(join('/tmp', `${id}-${kind}-`));
}

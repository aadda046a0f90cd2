import { createHash } from 'node:crypto';
import type { Digest } from '@shimkit/oci-spec';

/**
 * Chain ids of a layer stack (image-spec): the first is the first layer's
 * diff id; each next one is sha256 of "<previous chain id> <diff id>".
 */
export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  for (const diffId of diffIds) {
    const previous = out[out.length - 1];
    out.push(previous === undefined ? diffId : (`sha256:${createHash('sha256').update(`${previous} ${diffId}`).digest('hex')}` as Digest));
  }
  return out;
}

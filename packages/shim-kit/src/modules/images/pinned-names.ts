import { formatImageReference, parseImageReference, referenceName } from '@shimkit/oci-spec';
import { ShimError } from '../../errors.js';

/**
 * The names under which images are pinned (never garbage collected by kubelet), normalized
 * as the store records them: `pause:3.9` -> `docker.io/library/pause:3.9`, a digest
 * reference -> `name@sha256:...`. An image id (`sha256:...`) is kept as is.
 */
export function pinnedNames(refs: readonly string[]): ReadonlySet<string> {
  const names = new Set<string>();
  for (const ref of refs) {
    if (/^sha256:[0-9a-f]{64}$/.test(ref)) {
      names.add(ref);
      continue;
    }
    try {
      const parsed = parseImageReference(ref);
      names.add(parsed.digest === undefined ? formatImageReference(parsed) : `${referenceName(parsed)}@${parsed.digest}`);
    } catch (e) {
      throw new ShimError('InvalidArgument', `pinned image ${JSON.stringify(ref)} is not a valid reference: ${(e as Error).message}`, { cause: e });
    }
  }
  return names;
}

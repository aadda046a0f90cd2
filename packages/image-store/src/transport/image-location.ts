import type { ImageReference } from '@shimkit/oci-spec';
import { parseImageReference } from '@shimkit/oci-spec';
import { ImageStoreError } from '../errors.js';

/** Where an image is, in skopeo's transport syntax. */
export type ImageLocation =
  | { transport: 'docker'; ref: ImageReference }
  | { transport: 'oci'; dir: string; refName?: string }
  | { transport: 'oci-archive'; file: string; refName?: string }
  | { transport: 'docker-archive'; file: string; ref?: ImageReference }
  | { transport: 'store'; image: string };

export const TRANSPORTS = ['docker://', 'oci:', 'oci-archive:', 'docker-archive:', 'store:'] as const;

function reference(text: string, whole: string): ImageReference {
  try {
    return parseImageReference(text);
  } catch (e) {
    throw new ImageStoreError('INVALID_ARGUMENT', `invalid image reference ${JSON.stringify(text)} in ${JSON.stringify(whole)}: ${(e as Error).message}`, { cause: e });
  }
}

/** PATH[:NAME], split at the first colon (paths with colons are not supported, as in skopeo). */
function pathAndName(rest: string, whole: string): [string, string | undefined] {
  const colon = rest.indexOf(':');
  const path = colon < 0 ? rest : rest.slice(0, colon);
  const name = colon < 0 ? undefined : rest.slice(colon + 1);
  if (path === '') throw new ImageStoreError('INVALID_ARGUMENT', `${JSON.stringify(whole)} names no path`);
  return [path, name === '' ? undefined : name];
}

/**
 * Parses `docker://REF`, `oci:DIR[:NAME]`, `oci-archive:FILE[:NAME]`,
 * `docker-archive:FILE[:REF]` or `store:REF`.
 */
export function parseImageLocation(text: string): ImageLocation {
  const colon = text.indexOf(':');
  const transport = colon < 0 ? '' : text.slice(0, colon);
  const rest = colon < 0 ? '' : text.slice(colon + 1);
  switch (transport) {
    case 'docker':
      if (!rest.startsWith('//')) break;
      return { transport: 'docker', ref: reference(rest.slice(2), text) };
    case 'oci': {
      const [dir, refName] = pathAndName(rest, text);
      return { transport: 'oci', dir, ...(refName === undefined ? {} : { refName }) };
    }
    case 'oci-archive': {
      const [file, refName] = pathAndName(rest, text);
      return { transport: 'oci-archive', file, ...(refName === undefined ? {} : { refName }) };
    }
    case 'docker-archive': {
      const [file, name] = pathAndName(rest, text);
      return { transport: 'docker-archive', file, ...(name === undefined ? {} : { ref: reference(name, text) }) };
    }
    case 'store':
      if (rest === '') break;
      return { transport: 'store', image: rest };
  }
  throw new ImageStoreError('INVALID_ARGUMENT', `unknown transport in ${JSON.stringify(text)}: expected ${TRANSPORTS.map((t) => `${t}...`).join(', ')}`);
}

import type { Descriptor, Digest, ImageReference } from '@shimkit/oci-spec';
import { MediaType as MT } from '@shimkit/oci-spec';
import { ImageStoreError, isImageStoreError } from '../errors.js';
import { parseManifestDocument } from '../images/manifest-document.js';
import { readAll } from './http-transport.js';
import type { RegistryClient } from './registry-client.js';

/** Referrers lists are indexes; the same bound as manifests applies. */
const MAX_INDEX = 4 << 20;

/**
 * The manifests whose `subject` is `digest`: GET /v2/<name>/referrers/<digest>,
 * or, on a registry without that API (404), the index tagged `<alg>-<hex>`.
 */
export async function listReferrers(client: RegistryClient, ref: ImageReference, digest: Digest, options: { artifactType?: string; signal?: AbortSignal } = {}): Promise<Descriptor[]> {
  const query = options.artifactType ? `?artifactType=${encodeURIComponent(options.artifactType)}` : '';
  const res = await client.request(ref, `referrers/${digest}${query}`, { headers: { accept: MT.OciIndex }, signal: options.signal });
  let manifests: Descriptor[];
  if (res.response.status === 200) {
    const doc = parseManifestDocument(await readAll(res, client.transport.progressTimeoutMs, MAX_INDEX, options.signal), res.response.headers.get('content-type'));
    if (doc.kind !== 'index') throw new ImageStoreError('REGISTRY_PROTOCOL', `referrers of ${digest}: the registry did not answer with an index`);
    manifests = doc.index.manifests;
    // A registry that applied the filter says so; otherwise it is applied here.
    if (res.response.headers.get('oci-filters-applied')?.includes('artifactType')) return manifests;
  } else if (res.response.status === 404) {
    res.abort();
    const fallback = `${digest.replace(':', '-')}`;
    try {
      const tagged = await client.getManifest({ ...ref, tag: fallback, digest: undefined } as ImageReference, { signal: options.signal });
      manifests = tagged.document.kind === 'index' ? tagged.document.index.manifests : [];
    } catch (e) {
      if (isImageStoreError(e, 'REGISTRY_NOT_FOUND')) return [];
      throw e;
    }
  } else {
    return client.fail(res, `referrers of ${digest}`, options.signal);
  }
  return options.artifactType === undefined ? manifests : manifests.filter((m) => m.artifactType === options.artifactType);
}

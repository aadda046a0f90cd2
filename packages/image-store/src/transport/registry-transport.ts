import type { Descriptor, ImageReference } from '@shimkit/oci-spec';
import { formatImageReference } from '@shimkit/oci-spec';
import type { RegistryClient } from '../registry/registry-client.js';
import type { ImageReader, ImageWriter } from './image-transport.js';

/** Reads an image from a registry repository (`docker://`). */
export function registryReader(client: RegistryClient, ref: ImageReference): ImageReader {
  return {
    name: `docker://${formatImageReference(ref)}`,
    repository: { domain: ref.domain, path: ref.path },
    top: (signal) => client.getManifest(ref, { signal }),
    manifest: (d: Descriptor, signal) => client.getManifest(ref, { digest: d.digest, signal }),
    blob: (d, signal, options) => client.blob(ref, d, { signal, verify: options?.verify }),
    close: async () => undefined,
    [Symbol.asyncDispose]: async () => undefined,
  };
}

/**
 * Writes an image to a registry repository: blobs the repository has are
 * skipped, blobs of another repository of the same registry are mounted,
 * child manifests go up by digest, the top one under the reference's tag.
 * A registry has no transaction: after a failure, uploaded blobs stay
 * unreferenced (the registry's garbage collection removes them).
 */
export function registryWriter(client: RegistryClient, ref: ImageReference): ImageWriter {
  return {
    name: `docker://${formatImageReference(ref)}`,
    acceptsIndex: true,
    // The registry hashes every upload and refuses one whose bytes do not match the ?digest= of its final PUT.
    verifiesBlobs: true,
    putBlob: (d, open, { mountFrom, signal }) =>
      client.pushBlob(ref, d, open, { signal, mountFrom: mountFrom?.domain === ref.domain ? mountFrom.path : undefined }),
    putManifest: async (m, signal) => {
      await client.pushManifest(ref, m.bytes, m.descriptor.mediaType, { tag: m.descriptor.digest, signal });
    },
    commit: (top, signal) => client.pushManifest(ref, top.bytes, top.descriptor.mediaType, { tag: ref.digest === undefined ? (ref.tag ?? 'latest') : top.descriptor.digest, signal }),
    abort: async () => undefined,
  };
}

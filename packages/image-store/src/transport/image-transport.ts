import type { Descriptor, Digest, ImageReference } from '@shimkit/oci-spec';
import type { FetchedManifest } from '../registry/registry-client.js';

/** Where an image is read from, for a copy: a registry, an OCI layout or archive, a docker archive, the store. */
export interface ImageReader extends AsyncDisposable {
  /** The location, for messages (`docker://host/repo:tag`, `oci:/dir:tag`...). */
  readonly name: string;
  /** The registry repository the blobs are in, so a writer to the same registry can mount them. */
  readonly repository?: Pick<ImageReference, 'domain' | 'path'>;
  /** What the location names (an index or a manifest), verified, bytes exactly as stored. */
  top(signal?: AbortSignal): Promise<FetchedManifest>;
  /** A manifest an index refers to, verified. */
  manifest(descriptor: Descriptor, signal?: AbortSignal): Promise<FetchedManifest>;
  /**
   * A blob's bytes. A registry's are checked against the descriptor unless `verify` is false
   * (the copy says so when its writer checks them itself); a local source's are the writer's to check.
   */
  blob(descriptor: Descriptor, signal?: AbortSignal, options?: { verify?: boolean }): AsyncIterable<Uint8Array>;
  /** Removes what the reader unpacked (archives). */
  close(): Promise<void>;
}

/** How a blob got to the destination. */
export type BlobWriteResult = 'exists' | 'mounted' | 'uploaded';

/**
 * Where an image is written. Nothing is visible at the destination until
 * commit(); abort() removes what was written before it.
 */
export interface ImageWriter {
  readonly name: string;
  /** False when the destination holds one platform's image only (docker archives, the store). */
  readonly acceptsIndex: boolean;
  /** True when the writer checks every blob's digest and size itself before keeping it (no need to hash it twice). */
  readonly verifiesBlobs: boolean;
  putBlob(descriptor: Descriptor, open: () => AsyncIterable<Uint8Array>, options: { mountFrom?: Pick<ImageReference, 'domain' | 'path'>; signal?: AbortSignal }): Promise<BlobWriteResult>;
  /** A manifest of an index, before the index itself. */
  putManifest(manifest: FetchedManifest, signal?: AbortSignal): Promise<void>;
  /** Writes the top manifest or index and makes the image visible; returns the digest written. */
  commit(top: FetchedManifest, signal?: AbortSignal): Promise<Digest>;
  /** Discards everything written since the writer was opened (after a failure). */
  abort(): Promise<void>;
}

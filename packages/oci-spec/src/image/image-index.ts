import type { Descriptor } from './descriptor.js';
import type { MediaType } from './media-type.js';

/** An image index (OCI index or Docker manifest list; same shape). */
export interface ImageIndex {
  /** Always `2`. */
  schemaVersion: 2;
  /** `application/vnd.oci.image.index.v1+json`, or the Docker manifest list type. */
  mediaType?: MediaType;
  /** Type of an artifact, when this index is one. */
  artifactType?: MediaType;
  /** The manifests (usually one per platform). */
  manifests: Descriptor[];
  /** A manifest this one refers to (referrers API). */
  subject?: Descriptor;
  /** Arbitrary metadata. */
  annotations?: Record<string, string>;
}

/** Alias of {@link ImageIndex}. */
export type Index = ImageIndex;

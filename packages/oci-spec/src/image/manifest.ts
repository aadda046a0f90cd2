import type { Descriptor } from './descriptor.js';
import type { MediaType } from './media-type.js';

/** An image manifest (OCI image manifest or Docker schema2 manifest; same shape). */
export interface Manifest {
  /** Always `2`. */
  schemaVersion: 2;
  /** `application/vnd.oci.image.manifest.v1+json`, or the Docker schema2 type. */
  mediaType?: MediaType;
  /** Type of an artifact, when this manifest is one. */
  artifactType?: MediaType;
  /** The image configuration (or an artifact's config blob). */
  config: Descriptor;
  /** Layers, base layer first. */
  layers: Descriptor[];
  /** A manifest this one refers to (referrers API). */
  subject?: Descriptor;
  /** Arbitrary metadata. */
  annotations?: Record<string, string>;
}

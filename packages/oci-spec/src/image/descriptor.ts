import type { Digest } from './digest.js';
import type { MediaType } from './media-type.js';
import type { Platform } from './platform.js';

/** A reference to content by digest and size (image-spec descriptor). */
export interface Descriptor {
  /** Media type of the referenced content. */
  mediaType: MediaType;
  /** Digest of the referenced content. */
  digest: Digest;
  /** Size of the referenced content in bytes. */
  size: number;
  /** Alternative locations the content may be fetched from. */
  urls?: string[];
  /** Arbitrary metadata. */
  annotations?: Record<string, string>;
  /** Embedded content, base64-encoded; it must match `digest` and `size`. */
  data?: string;
  /** Artifact type, when the descriptor refers to an artifact manifest. */
  artifactType?: MediaType;
  /** Platform of the referenced manifest (indexes only). */
  platform?: Platform;
}

/** The digest of the empty JSON object `{}`, used by the empty descriptor. */
export const EMPTY_JSON_DIGEST = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a' as Digest;

/** The empty descriptor (content `{}`), for artifact manifests that carry no config or no layers. */
export const EMPTY_DESCRIPTOR: Readonly<Descriptor> = Object.freeze({
  mediaType: 'application/vnd.oci.empty.v1+json' as MediaType,
  digest: EMPTY_JSON_DIGEST,
  size: 2,
  data: 'e30=',
});

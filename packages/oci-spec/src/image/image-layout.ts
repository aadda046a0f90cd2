import { digestAlgorithm, digestHex } from './digest.js';
import type { Digest } from './digest.js';

/** The file name of the image layout marker. */
export const OCI_LAYOUT_FILE = 'oci-layout';

/** The file name of the layout's top-level index. */
export const OCI_LAYOUT_INDEX_FILE = 'index.json';

/** The directory holding blobs, as `blobs/<algorithm>/<hex>`. */
export const OCI_LAYOUT_BLOBS_DIR = 'blobs';

/** The layout version this package writes. */
export const OCI_LAYOUT_VERSION = '1.0.0';

/** Contents of the `oci-layout` file. */
export interface OciLayout {
  /** Layout version, `1.0.0`. */
  imageLayoutVersion: string;
}

/** Annotation naming an image in an image layout's `index.json` (e.g. a tag). */
export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';

/** The `oci-layout` file contents this package writes. */
export function ociLayoutHeader(): OciLayout {
  return { imageLayoutVersion: OCI_LAYOUT_VERSION };
}

/** Path of a blob inside an image layout, relative to its root: `blobs/<algorithm>/<hex>`. */
export function layoutBlobPath(digest: Digest): string {
  return `${OCI_LAYOUT_BLOBS_DIR}/${digestAlgorithm(digest)}/${digestHex(digest)}`;
}

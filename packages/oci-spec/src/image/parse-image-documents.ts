import type { OciSpecErrorCode } from '../errors.js';
import { field, IssueCollector, OciValidationError, show } from '../validation/issue.js';
import type { ValidationIssue } from '../validation/issue.js';
import { toJsonValue } from '../validation/json-value.js';
import { checkShape } from '../validation/shape.js';
import type { ImageConfig } from './image-config.js';
import type { ImageIndex } from './image-index.js';
import type { OciLayout } from './image-layout.js';
import { OCI_LAYOUT_SHAPE } from './image-shapes.js';
import type { Manifest } from './manifest.js';
import { validateImageConfig } from './validate-image-config.js';
import { validateImageIndex } from './validate-image-index.js';
import { validateManifest } from './validate-manifest.js';

/**
 * Parses an image manifest (JSON text, bytes, or a decoded value). Every `MUST` issue of
 * {@link validateManifest} rejects it, and so does a digest of an algorithm other than sha256/sha512
 * (the result's digests are {@link Digest} values). Unknown fields are kept.
 * @throws OciValidationError with code `INVALID_IMAGE_MANIFEST`.
 */
export function parseManifest(input: unknown): Manifest {
  return parseDocument(input, validateManifest, 'INVALID_IMAGE_MANIFEST', 'image manifest') as Manifest;
}

/**
 * Parses an image index or Docker manifest list (same rules as {@link parseManifest}).
 * @throws OciValidationError with code `INVALID_IMAGE_INDEX`.
 */
export function parseImageIndex(input: unknown): ImageIndex {
  return parseDocument(input, validateImageIndex, 'INVALID_IMAGE_INDEX', 'image index') as ImageIndex;
}

/**
 * Parses an image configuration (same rules as {@link parseManifest}).
 * @throws OciValidationError with code `INVALID_IMAGE_CONFIG`.
 */
export function parseImageConfig(input: unknown): ImageConfig {
  return parseDocument(input, validateImageConfig, 'INVALID_IMAGE_CONFIG', 'image config') as ImageConfig;
}

/**
 * Parses an `oci-layout` file; `imageLayoutVersion` must be a 1.x version.
 * @throws OciValidationError with code `INVALID_IMAGE_LAYOUT`.
 */
export function parseOciLayout(input: unknown): OciLayout {
  return parseDocument(
    input,
    (value) => {
      const out = new IssueCollector();
      checkShape(value, OCI_LAYOUT_SHAPE, '', out);
      const version = field(value, 'imageLayoutVersion');
      if (typeof version === 'string' && !/^1\.\d+\.\d+$/.test(version)) {
        out.must('/imageLayoutVersion', 'layout-version', `unsupported image layout version ${show(version)}`);
      }
      return out.issues;
    },
    'INVALID_IMAGE_LAYOUT',
    'oci-layout',
  ) as OciLayout;
}

function parseDocument(
  input: unknown,
  validate: (value: unknown) => ValidationIssue[],
  code: OciSpecErrorCode,
  what: string,
): unknown {
  const out = new IssueCollector();
  const value = toJsonValue(input, out);
  if (out.issues.length === 0) {
    out.issues.push(...validate(value).filter((i) => i.level === 'MUST' || i.rule === 'digest-algorithm'));
  }
  if (out.issues.length > 0) throw new OciValidationError(code, what, out.issues);
  return value;
}

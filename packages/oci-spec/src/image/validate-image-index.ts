import { arrayEntries, field, IssueCollector, pointer, show } from '../validation/issue.js';
import type { ValidationIssue } from '../validation/issue.js';
import { checkShape } from '../validation/shape.js';
import { INDEX_SHAPE } from './image-shapes.js';
import { isIndexMediaType, MediaType, mediaTypeKind } from './media-type.js';
import { checkMediaType, checkDescriptorRules } from './validate-descriptor.js';
import { checkSchemaVersion } from './validate-manifest.js';

/**
 * Checks an image index (OCI index or Docker manifest list) and returns every issue; never throws.
 * Rules: structure, `schemaVersion` 2, an index media type, valid descriptors and platforms,
 * entries that are manifests or indexes (SHOULD; unknown types are fine).
 */
export function validateImageIndex(index: unknown): ValidationIssue[] {
  const out = new IssueCollector();
  try {
    checkShape(index, INDEX_SHAPE, '', out);
    checkSchemaVersion(index, out);
    const mediaType = field(index, 'mediaType');
    if (mediaType === undefined) {
      if (field(index, 'schemaVersion') !== undefined) out.should('/mediaType', 'media-type-missing', 'mediaType should be set');
    } else if (typeof mediaType === 'string' && !isIndexMediaType(mediaType)) {
      out.must('/mediaType', 'index-media-type', `must be ${MediaType.OciIndex} or ${MediaType.DockerManifestList}, got ${show(mediaType)}`);
    }
    checkMediaType(field(index, 'artifactType'), '/artifactType', out);
    for (const [i, entry] of arrayEntries(field(index, 'manifests'))) {
      const path = pointer('/manifests', i);
      checkDescriptorRules(entry, path, out);
      const type = field(entry, 'mediaType');
      const kind = typeof type === 'string' ? mediaTypeKind(type) : 'unknown';
      if (kind !== 'manifest' && kind !== 'index' && kind !== 'unknown') {
        out.should(pointer(path, 'mediaType'), 'index-entry-media-type', `${show(type)} is not a manifest or index media type`);
      }
    }
    const subject = field(index, 'subject');
    if (subject !== undefined) checkDescriptorRules(subject, '/subject', out);
  } catch (e) {
    out.must('', 'internal', `validation failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  return out.issues;
}

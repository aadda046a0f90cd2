import { arrayEntries, field, IssueCollector, pointer, show } from '../validation/issue.js';
import type { ValidationIssue } from '../validation/issue.js';
import { checkShape } from '../validation/shape.js';
import { MANIFEST_SHAPE } from './image-shapes.js';
import { isConfigMediaType, isLayerMediaType, isManifestMediaType, MediaType, mediaTypeKind } from './media-type.js';
import { checkMediaType, checkDescriptorRules } from './validate-descriptor.js';

/**
 * Checks an image manifest (OCI or Docker schema2) and returns every issue; never throws.
 * Rules: structure, `schemaVersion` 2, a manifest media type, valid descriptors, artifactType
 * when the config is the empty descriptor, plausible config and layer media types (SHOULD).
 */
export function validateManifest(manifest: unknown): ValidationIssue[] {
  const out = new IssueCollector();
  try {
    checkShape(manifest, MANIFEST_SHAPE, '', out);
    checkSchemaVersion(manifest, out);
    const mediaType = field(manifest, 'mediaType');
    if (mediaType === undefined) {
      if (field(manifest, 'schemaVersion') !== undefined) out.should('/mediaType', 'media-type-missing', 'mediaType should be set');
    } else if (typeof mediaType === 'string' && !isManifestMediaType(mediaType)) {
      out.must('/mediaType', 'manifest-media-type', `must be ${MediaType.OciManifest} or ${MediaType.DockerManifest}, got ${show(mediaType)}`);
    }
    checkMediaType(field(manifest, 'artifactType'), '/artifactType', out);

    const artifactType = field(manifest, 'artifactType');
    const config = field(manifest, 'config');
    if (config !== undefined) {
      checkDescriptorRules(config, '/config', out);
      const configType = field(config, 'mediaType');
      if (configType === MediaType.OciEmpty && artifactType === undefined) {
        out.must('/artifactType', 'artifact-type-required', 'artifactType is required when the config is the empty descriptor');
      } else if (typeof configType === 'string' && artifactType === undefined && !isConfigMediaType(configType)) {
        out.should('/config/mediaType', 'config-media-type', `${show(configType)} is not an image config media type`);
      }
    }
    const layers = field(manifest, 'layers');
    if (Array.isArray(layers) && layers.length === 0 && artifactType === undefined && !isArtifactConfig(config)) {
      out.should('/layers', 'layers-non-empty', 'an image manifest should have at least one layer');
    }
    for (const [i, layer] of arrayEntries(layers)) {
      const path = pointer('/layers', i);
      checkDescriptorRules(layer, path, out);
      const layerType = field(layer, 'mediaType');
      if (typeof layerType === 'string' && artifactType === undefined && !isArtifactConfig(config)
        && !isLayerMediaType(layerType) && mediaTypeKind(layerType) !== 'empty') {
        out.should(pointer(path, 'mediaType'), 'layer-media-type', `${show(layerType)} is not a layer media type`);
      }
    }
    const subject = field(manifest, 'subject');
    if (subject !== undefined) checkDescriptorRules(subject, '/subject', out);
  } catch (e) {
    out.must('', 'internal', `validation failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  return out.issues;
}

/** A config that is not an image config marks an artifact; then layer types are free. */
function isArtifactConfig(config: unknown): boolean {
  const type = field(config, 'mediaType');
  return typeof type === 'string' && !isConfigMediaType(type);
}

/** `schemaVersion` must be 2. */
export function checkSchemaVersion(document: unknown, out: IssueCollector): void {
  const version = field(document, 'schemaVersion');
  if (typeof version === 'number' && Number.isInteger(version) && version !== 2) {
    out.must('/schemaVersion', 'schema-version', `must be 2, got ${version}`);
  }
}

import { field, isObject, pointer } from '../validation/issue.js';
import type { SpecContext } from './validation-context.js';

/** The annotation namespace reserved by the OCI specifications. */
export const RESERVED_ANNOTATION_PREFIX = 'org.opencontainers.';
/** Annotations the image-spec defines (conversion), which may appear in a runtime config. */
export const IMAGE_ANNOTATION_PREFIX = 'org.opencontainers.image.';

/** Annotation keys must not be empty; `org.opencontainers.` keys are reserved (except the image-spec's). */
export function validateAnnotations(ctx: SpecContext): void {
  const annotations = field(ctx.spec, 'annotations');
  if (!isObject(annotations)) return;
  for (const key of Object.keys(annotations)) {
    const path = pointer('/annotations', key);
    if (key === '') ctx.out.must(path, 'annotation-key', 'annotation keys must not be empty');
    else if (key.startsWith(RESERVED_ANNOTATION_PREFIX) && !key.startsWith(IMAGE_ANNOTATION_PREFIX)) {
      ctx.out.should(path, 'reserved-annotation', `${key} uses the reserved org.opencontainers namespace`);
    }
  }
}

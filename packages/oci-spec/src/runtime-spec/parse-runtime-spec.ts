import { OciValidationError } from '../validation/issue.js';
import { IssueCollector } from '../validation/issue.js';
import { serializeJson, toJsonValue } from '../validation/json-value.js';
import { checkShape } from '../validation/shape.js';
import { RUNTIME_SPEC_SHAPE } from './runtime-spec-shape.js';
import type { RuntimeSpec } from './types.js';
import { validateRuntimeSpec } from './validate-runtime-spec.js';

/** Options for {@link parseRuntimeSpec}. */
export interface ParseRuntimeSpecOptions {
  /** Also reject documents that break the specification's rules (every `MUST` issue), not only its structure. */
  strict?: boolean;
}

/**
 * Parses a runtime-spec `config.json`: JSON text (string or bytes) or an already-decoded value.
 * Returns a fresh copy typed as {@link RuntimeSpec}; unknown fields are kept. By default only
 * the structure is enforced (types, required fields, ranges); `strict` also enforces every
 * `MUST` rule of {@link validateRuntimeSpec}.
 * @throws OciValidationError (`code` `INVALID_RUNTIME_SPEC`) listing every issue.
 */
export function parseRuntimeSpec(input: unknown, options: ParseRuntimeSpecOptions = {}): RuntimeSpec {
  const out = new IssueCollector();
  const value = toJsonValue(input, out);
  if (out.issues.length === 0) {
    if (options.strict === true) {
      out.issues.push(...validateRuntimeSpec(value).filter((i) => i.level === 'MUST'));
    } else {
      checkShape(value, RUNTIME_SPEC_SHAPE, '', out);
    }
  }
  if (out.issues.length > 0) throw new OciValidationError('INVALID_RUNTIME_SPEC', 'runtime spec', out.issues);
  return value as RuntimeSpec;
}

/** Serialises a runtime spec as JSON text (2-space indent by default; runc writes tabs: `{ indent: '\t' }`). */
export function serializeRuntimeSpec(spec: RuntimeSpec, options: { indent?: number | string } = {}): string {
  return serializeJson(spec, options);
}

import { checkShape } from '../validation/shape.js';
import { IssueCollector } from '../validation/issue.js';
import type { ValidationIssue } from '../validation/issue.js';
import { RUNTIME_SPEC_SHAPE } from './runtime-spec-shape.js';
import { validateAnnotations } from './validate-annotations.js';
import { validateDevices } from './validate-devices.js';
import { validateHooks } from './validate-hooks.js';
import { validateLinuxPaths } from './validate-linux-paths.js';
import { validateMounts } from './validate-mounts.js';
import { validateNamespaces } from './validate-namespaces.js';
import { validateProcess } from './validate-process.js';
import { validateResources } from './validate-resources.js';
import { validateRoot } from './validate-root.js';
import { validateSeccomp } from './validate-seccomp.js';
import { validateSysctl } from './validate-sysctl.js';
import { validateVersion } from './validate-version.js';
import { specContext } from './validation-context.js';
import type { SpecContext } from './validation-context.js';

/** Options for {@link validateRuntimeSpec}. */
export interface ValidateRuntimeSpecOptions {
  /**
   * Bundle directory. When given, the bundle must be a directory and `root.path` (resolved
   * against it) an existing directory, which should lie inside the bundle.
   */
  bundle?: string;
}

const RULES: readonly ((ctx: SpecContext) => void)[] = [
  validateVersion,
  validateRoot,
  validateMounts,
  validateProcess,
  validateNamespaces,
  validateSysctl,
  validateResources,
  validateDevices,
  validateLinuxPaths,
  validateSeccomp,
  validateHooks,
  validateAnnotations,
];

/**
 * Checks a runtime-spec `config.json` (any value, typed or not) and returns every issue found:
 * structure (`type`, `required`, `range`, `enum`, `pattern`) and the specification's rules.
 * Never throws. An empty array means the document is valid.
 */
export function validateRuntimeSpec(spec: unknown, options: ValidateRuntimeSpecOptions = {}): ValidationIssue[] {
  const out = new IssueCollector();
  try {
    checkShape(spec, RUNTIME_SPEC_SHAPE, '', out);
    const ctx = specContext(spec, out, options.bundle);
    for (const rule of RULES) rule(ctx);
  } catch (e) {
    // Only hostile inputs (throwing getters, proxies) get here; report instead of throwing.
    out.must('', 'internal', `validation failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  return out.issues;
}

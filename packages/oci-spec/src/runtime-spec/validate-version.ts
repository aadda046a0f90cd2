import { field, show } from '../validation/issue.js';
import type { SpecContext } from './validation-context.js';

/** SemVer 2.0.0, as the runtime-spec requires for `ociVersion`. */
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** True for a SemVer 2.0.0 version string. */
export function isSemver(value: string): boolean {
  return SEMVER.test(value);
}

/** `ociVersion` must be SemVer; a major version other than 1 is flagged as unsupported. */
export function validateVersion(ctx: SpecContext): void {
  const version = field(ctx.spec, 'ociVersion');
  if (typeof version !== 'string') return;
  if (!isSemver(version)) {
    ctx.out.must('/ociVersion', 'semver', `must be a SemVer 2.0.0 version, got ${show(version)}`);
  } else if (!version.startsWith('1.')) {
    ctx.out.should('/ociVersion', 'oci-version-supported', `version ${version} is not a 1.x runtime-spec version`);
  }
}

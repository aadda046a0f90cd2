import type { Platform } from '@shimkit/oci-spec';
import { hostPlatform } from '@shimkit/oci-spec';

/** `--override-os/--override-arch/--override-variant`, on top of this host's platform. */
export interface PlatformFlags {
  overrideOs?: string;
  overrideArch?: string;
  overrideVariant?: string;
}

export function wantedPlatform(flags: PlatformFlags): Platform {
  const host = hostPlatform();
  const platform: Platform = { os: flags.overrideOs ?? host.os, architecture: flags.overrideArch ?? host.architecture };
  const variant = flags.overrideVariant ?? (flags.overrideArch === undefined ? host.variant : undefined);
  if (variant !== undefined) platform.variant = variant;
  return platform;
}

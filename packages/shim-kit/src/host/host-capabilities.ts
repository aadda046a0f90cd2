import { readFile } from 'node:fs/promises';
import { LINUX_CAPABILITIES } from '@shimkit/oci-spec';

/** The capability names set in a `/proc/<pid>/status` mask (`CapEff:` hex); unknown bits are left out. */
export function capabilitiesOfMask(hex: string): string[] {
  const mask = BigInt(`0x${hex.trim() || '0'}`);
  return LINUX_CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

let cached: Promise<string[]> | undefined;

/**
 * The capabilities the shim's own process holds (its effective set). A container asking for
 * `ALL`, or a privileged one, gets these (as containerd does): the runtime cannot grant a
 * capability the host took away from it, and asking makes container creation fail with EPERM.
 */
export function hostCapabilities(): Promise<string[]> {
  cached ??= readFile('/proc/self/status', 'utf8').then((status) => {
    const line = status.split('\n').find((l) => l.startsWith('CapEff:'));
    return line === undefined ? [...LINUX_CAPABILITIES] : capabilitiesOfMask(line.slice('CapEff:'.length));
  });
  return cached;
}

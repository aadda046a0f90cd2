import { readFile } from 'node:fs/promises';

// Capability names by bit number, as linux/capability.h numbers them (0 to 40).
const BY_BIT = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER',
  'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** The capability names set in a `/proc/<pid>/status` mask (`CapEff:` hex); unknown bits are left out. */
export function capabilitiesOfMask(hex: string): string[] {
  const mask = BigInt(`0x${hex.trim() || '0'}`);
  return BY_BIT.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
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
    return line === undefined ? [...BY_BIT] : capabilitiesOfMask(line.slice('CapEff:'.length));
  });
  return cached;
}

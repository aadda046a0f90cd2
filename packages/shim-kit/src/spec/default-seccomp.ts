import type { Seccomp } from '@shimkit/oci-spec';

// Syscalls a default (RuntimeDefault) container may not make: kernel modules and
// reboot, clock and swap changes, namespace and mount manipulation, tracing other
// processes, kernel keyrings, BPF and perf. Everything else is allowed.
const DENIED = [
  'acct', 'add_key', 'bpf', 'clock_adjtime', 'clock_settime', 'create_module', 'delete_module',
  'finit_module', 'get_kernel_syms', 'get_mempolicy', 'init_module', 'ioperm', 'iopl', 'kcmp',
  'kexec_file_load', 'kexec_load', 'keyctl', 'lookup_dcookie', 'mbind', 'mount', 'move_mount',
  'move_pages', 'name_to_handle_at', 'nfsservctl', 'open_by_handle_at', 'open_tree', 'perf_event_open',
  'pivot_root', 'process_vm_readv', 'process_vm_writev', 'ptrace', 'query_module', 'quotactl',
  'reboot', 'request_key', 'set_mempolicy', 'setns', 'settimeofday', 'stime', 'swapoff', 'swapon',
  'sysfs', '_sysctl', 'umount', 'umount2', 'unshare', 'uselib', 'userfaultfd', 'ustat', 'vm86', 'vm86old',
  'fsconfig', 'fsmount', 'fsopen', 'fspick',
];

// Denied syscalls a container gets back when it holds the capability the kernel checks for
// them anyway, as the default profiles of Docker and containerd grant them: a pod given
// CAP_SYS_ADMIN under RuntimeDefault may mount and unshare, one given CAP_SYS_TIME may set the clock.
const ALLOWED_WITH: Readonly<Record<string, readonly string[]>> = {
  CAP_SYS_ADMIN: [
    'bpf', 'fsconfig', 'fsmount', 'fsopen', 'fspick', 'lookup_dcookie', 'mount', 'move_mount', 'name_to_handle_at',
    'open_tree', 'perf_event_open', 'quotactl', 'setns', 'umount', 'umount2', 'unshare',
  ],
  CAP_BPF: ['bpf'],
  CAP_PERFMON: ['perf_event_open'],
  CAP_SYS_BOOT: ['reboot'],
  CAP_SYS_MODULE: ['delete_module', 'finit_module', 'init_module'],
  CAP_SYS_PACCT: ['acct'],
  CAP_SYS_PTRACE: ['kcmp', 'process_vm_readv', 'process_vm_writev', 'ptrace'],
  CAP_SYS_RAWIO: ['ioperm', 'iopl'],
  CAP_SYS_TIME: ['clock_adjtime', 'clock_settime', 'settimeofday', 'stime'],
  CAP_SYS_NICE: ['get_mempolicy', 'mbind', 'move_pages', 'set_mempolicy'],
  CAP_DAC_READ_SEARCH: ['open_by_handle_at'],
};

/**
 * The seccomp profile for `RuntimeDefault`: allow by default, EPERM for the syscalls above,
 * except those that `capabilities` (the container's bounding set, `CAP_` names) unlock.
 */
export function defaultSeccompProfile(capabilities: readonly string[] = []): Seccomp {
  const unlocked = new Set(capabilities.flatMap((c) => ALLOWED_WITH[c] ?? []));
  return {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
    syscalls: [{ names: DENIED.filter((name) => !unlocked.has(name)), action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
  };
}

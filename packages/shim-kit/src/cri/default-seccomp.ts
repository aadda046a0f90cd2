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

/** The seccomp profile for `RuntimeDefault`: allow by default, EPERM for the syscalls above. */
export function defaultSeccompProfile(): Seccomp {
  return {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
    syscalls: [{ names: [...DENIED], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
  };
}

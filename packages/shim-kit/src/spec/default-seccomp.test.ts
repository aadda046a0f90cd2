import { DEFAULT_CAPABILITIES } from '@shimkit/oci-spec';
import { describe, expect, it } from 'vitest';
import { defaultSeccompProfile } from './default-seccomp.js';

const denied = (caps?: readonly string[]) => defaultSeccompProfile(caps).syscalls?.[0]?.names ?? [];

describe('defaultSeccompProfile', () => {
  it('allows by default and answers EPERM for namespace, mount, module, clock and tracing syscalls', () => {
    const profile = defaultSeccompProfile();
    expect(profile.defaultAction).toBe('SCMP_ACT_ALLOW');
    expect(profile.syscalls?.[0]).toMatchObject({ action: 'SCMP_ACT_ERRNO', errnoRet: 1 });
    expect(denied()).toEqual(expect.arrayContaining(['unshare', 'mount', 'setns', 'init_module', 'clock_settime', 'ptrace', 'keyctl', 'kexec_load']));
    expect(denied()).not.toContain('sethostname');
    expect(denied(DEFAULT_CAPABILITIES)).toEqual(denied());
  });

  it('gives back what a granted capability unlocks, and nothing else', () => {
    const sysAdmin = denied([...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN']);
    for (const name of ['unshare', 'mount', 'umount2', 'setns', 'bpf', 'perf_event_open']) expect(sysAdmin).not.toContain(name);
    expect(sysAdmin).toEqual(expect.arrayContaining(['reboot', 'init_module', 'ptrace', 'keyctl', 'pivot_root', 'swapon']));
    expect(denied(['CAP_SYS_TIME'])).not.toContain('clock_settime');
    expect(denied(['CAP_SYS_PTRACE'])).not.toContain('ptrace');
    expect(denied(['CAP_SYS_MODULE'])).not.toContain('finit_module');
    expect(denied(['CAP_BPF'])).not.toContain('bpf');
    expect(denied(['CAP_BPF'])).toContain('mount');
  });
});

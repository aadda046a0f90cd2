import { describe, expect, it } from 'vitest';
import { isShimError } from '../../errors.js';
import { podSysctls } from './pod-sysctls.js';

const pod = { hostNetwork: false, hostIpc: false };

describe('podSysctls', () => {
  it('maps net.* to the network namespace and IPC sysctls to the IPC namespace, dots or slashes', () => {
    expect(podSysctls({ 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '100', 'fs.mqueue.msg_max': '20', 'net/ipv4/conf/eth0.100/forwarding': '1' }, pod)).toEqual([
      { name: 'net.ipv4.ip_forward', path: '/proc/sys/net/ipv4/ip_forward', value: '1', namespace: 'net' },
      { name: 'kernel.shmmax', path: '/proc/sys/kernel/shmmax', value: '100', namespace: 'ipc' },
      { name: 'fs.mqueue.msg_max', path: '/proc/sys/fs/mqueue/msg_max', value: '20', namespace: 'ipc' },
      { name: 'net/ipv4/conf/eth0.100/forwarding', path: '/proc/sys/net/ipv4/conf/eth0.100/forwarding', value: '1', namespace: 'net' },
    ]);
  });

  it('refuses node-wide sysctls, path tricks, and namespaced ones of a pod sharing the node namespace', () => {
    const refused = (sysctls: Record<string, string>, options = pod): boolean => {
      try {
        podSysctls(sysctls, options);
        return false;
      } catch (e) {
        return isShimError(e, 'InvalidArgument');
      }
    };
    expect(refused({ 'vm.swappiness': '1' })).toBe(true);
    expect(refused({ 'net/../../kernel/panic': '1' })).toBe(true);
    expect(refused({ 'net.ipv4.ip_forward': '1\n2' })).toBe(true);
    expect(refused({ 'net.ipv4.ip_forward': '1' }, { hostNetwork: true, hostIpc: false })).toBe(true);
    expect(refused({ 'kernel.msgmax': '1' }, { hostNetwork: false, hostIpc: true })).toBe(true);
  });
});

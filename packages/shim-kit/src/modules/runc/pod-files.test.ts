import { describe, expect, it } from 'vitest';
import { podMounts, renderHosts, renderResolvConf } from './pod-files.js';

describe('pod files', () => {
  it('renders resolv.conf: search, nameservers, options; nothing for an empty config', () => {
    expect(renderResolvConf({ servers: ['1.1.1.1'], searches: [], options: [] })).toBe('nameserver 1.1.1.1\n');
    expect(renderResolvConf({ servers: ['a', 'b'], searches: ['x.local'], options: ['ndots:2'] })).toBe('search x.local\nnameserver a\nnameserver b\noptions ndots:2\n');
    expect(renderResolvConf({ servers: [], searches: [], options: [] })).toBeUndefined();
    expect(renderResolvConf(undefined)).toBeUndefined();
  });

  it('renders localhost hosts entries and bind mounts for the pod files and /dev/shm', () => {
    expect(renderHosts()).toMatch(/^127\.0\.0\.1\tlocalhost\n::1\tlocalhost/);
    const mounts = podMounts({ hostname: '/s/hostname', hosts: '/s/hosts', resolvConf: '/s/resolv.conf' }, '/s/shm');
    expect(mounts.map((m) => [m.destination, m.source])).toEqual([
      ['/etc/hostname', '/s/hostname'],
      ['/etc/hosts', '/s/hosts'],
      ['/etc/resolv.conf', '/s/resolv.conf'],
      ['/dev/shm', '/s/shm'],
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { isCniError } from './cni-error.js';
import { podIps } from './cni-result.js';

describe('podIps', () => {
  it('takes the sandbox interface addresses of a 1.0 result, IPv4 first', () => {
    const result = {
      cniVersion: '1.0.0',
      interfaces: [{ name: 'cni0' }, { name: 'veth1' }, { name: 'eth0', sandbox: '/run/netns/x' }, { name: 'net1', sandbox: '/run/netns/x' }],
      ips: [
        { address: 'fd00::5/64', interface: 2 },
        { address: '10.0.0.5/24', interface: 2, gateway: '10.0.0.1' },
        { address: '10.9.0.5/24', interface: 3 },
        { address: '10.0.0.5/24', interface: 2 },
      ],
    };
    expect(podIps(result, 'eth0', 'bridge')).toEqual(['10.0.0.5', 'fd00::5']);
  });

  it('keeps entries that name no interface (0.3/0.4 IPAM-style results)', () => {
    expect(podIps({ cniVersion: '0.4.0', ips: [{ version: '4', address: '192.168.1.3/24' }] }, 'eth0', 'x')).toEqual(['192.168.1.3']);
  });

  it('reads the 0.1/0.2 format', () => {
    expect(podIps({ ip4: { ip: '10.1.2.3/16' }, ip6: { ip: 'fd00::3/64' } }, 'eth0', 'x')).toEqual(['10.1.2.3', 'fd00::3']);
  });

  it('returns no IPs for a result without any', () => {
    expect(podIps({ cniVersion: '1.0.0', interfaces: [], ips: [] }, 'eth0', 'x')).toEqual([]);
  });

  it.each([
    [null, 'not a JSON object'],
    [{ ips: ['x'] }, 'ips[0] is not an object'],
    [{ ips: [{ address: 'banana' }] }, 'ips[0].address "banana"'],
    [{ ips: [{ address: '10.0.0.1/8', interface: 4 }], interfaces: [] }, 'ips[0].interface 4'],
    [{ ip4: { ip: 7 } }, 'ip4.ip'],
  ])('rejects %j naming the plugin', (result, problem) => {
    let err: unknown;
    try {
      podIps(result, 'eth0', 'myplugin');
    } catch (e) {
      err = e;
    }
    expect(isCniError(err, 'InvalidResult')).toBe(true);
    expect(String(err)).toContain('CNI plugin "myplugin"');
    expect(String(err)).toContain(problem);
  });
});

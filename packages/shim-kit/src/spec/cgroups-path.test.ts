import { describe, expect, it } from 'vitest';
import { cgroupsPath } from './cgroups-path.js';

describe('cgroupsPath', () => {
  it('puts a container under its cgroupfs parent', () => {
    expect(cgroupsPath('cgroupfs', '', 'c1')).toBe('/shimkit/c1');
    expect(cgroupsPath('cgroupfs', '/kubepods/besteffort/pod1', 'c1')).toBe('/kubepods/besteffort/pod1/c1');
  });

  it("uses the last slice of kubelet's systemd parent path", () => {
    expect(cgroupsPath('systemd', '', 'c1')).toBe('system.slice:shimkit:c1');
    expect(cgroupsPath('systemd', 'kubepods.slice', 'c1')).toBe('kubepods.slice:shimkit:c1');
    expect(cgroupsPath('systemd', '/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice', 'c1')).toBe('kubepods-besteffort-pod1.slice:shimkit:c1');
    expect(cgroupsPath('systemd', '/test.slice', 'c1')).toBe('test.slice:shimkit:c1');
  });

  it('refuses a systemd parent that is not a slice', () => {
    expect(() => cgroupsPath('systemd', '/kubepods/pod1', 'c1')).toThrow(expect.objectContaining({ code: 'InvalidArgument', message: expect.stringMatching(/not a systemd slice/) }));
  });
});

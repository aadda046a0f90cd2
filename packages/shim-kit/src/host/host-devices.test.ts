import { describe, expect, it } from 'vitest';
import { hostDevices } from './host-devices.js';

describe('hostDevices', () => {
  it("lists the host's device nodes with their numbers, leaving out what the runtime makes", async () => {
    const devices = await hostDevices();
    expect(devices).toContainEqual(expect.objectContaining({ path: '/dev/null', type: 'c', major: 1, minor: 3 }));
    const paths = devices.map((d) => d.path);
    expect(paths.filter((p) => p.startsWith('/dev/pts/') || p.startsWith('/dev/shm/') || p === '/dev/console' || p === '/dev/ptmx')).toEqual([]);
    expect(new Set(paths).size).toBe(paths.length);
  });

  it('stops when aborted', async () => {
    await expect(hostDevices({ signal: AbortSignal.abort() })).rejects.toThrow();
  });
});

import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { capabilitiesOfMask, hostCapabilities } from './host-capabilities.js';

describe('capabilitiesOfMask', () => {
  it('names the bits of a /proc status mask', () => {
    expect(capabilitiesOfMask('0000000000000000')).toEqual([]);
    expect(capabilitiesOfMask('0000000000003001')).toEqual(['CAP_CHOWN', 'CAP_NET_ADMIN', 'CAP_NET_RAW']);
    const all = capabilitiesOfMask('000001ffffffffff');
    expect(all).toHaveLength(41);
    expect(all.at(-1)).toBe('CAP_CHECKPOINT_RESTORE');
    expect(capabilitiesOfMask('000001fffeffffff')).not.toContain('CAP_SYS_RESOURCE');
    expect(capabilitiesOfMask('ffffffffffffffff')).toHaveLength(41);
  });
});

describe('hostCapabilities', () => {
  it("is this process's effective set", async () => {
    const line = (await readFile('/proc/self/status', 'utf8')).split('\n').find((l) => l.startsWith('CapEff:')) ?? '';
    expect(await hostCapabilities()).toEqual(capabilitiesOfMask(line.slice('CapEff:'.length)));
  });
});

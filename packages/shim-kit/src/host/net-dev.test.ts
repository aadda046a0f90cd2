import { describe, expect, it } from 'vitest';
import { isIgnoredInterface, parseNetDev, readNetDev } from './net-dev.js';

const SAMPLE = [
  'Inter-|   Receive                                                |  Transmit',
  ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
  '    lo:   1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0',
  '  eth0:18446744073709551615 7 1 2 0 0 0 0 4200 9 3 4 0 0 0 0',
  '  bad: 1 2 3',
  '',
].join('\n');

describe('parseNetDev', () => {
  it('reads the receive and transmit counters of each interface, up to 2^64-1, and skips malformed lines', () => {
    expect(parseNetDev(SAMPLE)).toEqual([
      { name: 'lo', rxBytes: 1000n, rxPackets: 10n, rxErrors: 0n, rxDropped: 0n, txBytes: 1000n, txPackets: 10n, txErrors: 0n, txDropped: 0n },
      { name: 'eth0', rxBytes: 18446744073709551615n, rxPackets: 7n, rxErrors: 1n, rxDropped: 2n, txBytes: 4200n, txPackets: 9n, txErrors: 3n, txDropped: 4n },
    ]);
    expect(parseNetDev('')).toEqual([]);
  });

  it('leaves out loopback and host-side devices as cAdvisor does', () => {
    expect(['lo', 'veth1234', 'docker0', 'nerdctl0', 'LO'].every(isIgnoredInterface)).toBe(true);
    expect(['eth0', 'net1', 'ens3'].some(isIgnoredInterface)).toBe(false);
  });

  it('reads /proc/<pid>/net/dev of a live process, and nothing for a gone one', async () => {
    const own = await readNetDev(process.pid);
    expect(own).toBeDefined();
    expect(own?.some((i) => i.name === 'lo')).toBe(false);
    expect(await readNetDev(2 ** 22 + 1)).toBeUndefined();
  });
});

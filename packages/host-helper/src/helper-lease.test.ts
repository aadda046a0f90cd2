import { describe, expect, it } from 'vitest';
import { leaseHelper } from './helper-lease.js';
import { HostHelper } from './host-helper.js';
import { alive } from './test-support.test-helper.js';

describe('leaseHelper', () => {
  it('closes a helper it made on release', async () => {
    const lease = leaseHelper();
    await lease.helper.run({ argv: ['true'] });
    const pid = lease.helper.pid as number;
    await lease.release();
    expect(alive(pid)).toBe(false);
  });

  it('leaves a given helper open', async () => {
    const given = new HostHelper();
    const lease = leaseHelper(given);
    expect(lease.helper).toBe(given);
    await lease.helper.run({ argv: ['true'] });
    await lease.release();
    expect(alive(given.pid as number)).toBe(true);
    await given.close();
  });
});

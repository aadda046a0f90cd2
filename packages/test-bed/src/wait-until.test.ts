import { describe, expect, it } from 'vitest';
import { isTestBedError } from './errors.js';
import { waitUntil } from './wait-until.js';

describe('waitUntil', () => {
  it('times out with the name of what it waited for', async () => {
    const err = await waitUntil('the thing', async () => false, { timeoutMs: 50, intervalMs: 10 }).catch((e: unknown) => e);
    expect(isTestBedError(err, 'TIMEOUT')).toBe(true);
    expect((err as Error).message).toContain('the thing');
  });
  it('stops early when the process it waits for has failed', async () => {
    const err = await waitUntil('x', async () => false, { timeoutMs: 5_000, fail: () => 'exit code 1' }).catch((e: unknown) => e);
    expect(isTestBedError(err, 'START_FAILED')).toBe(true);
  });
  it('honours an aborted signal', async () => {
    const err = await waitUntil('x', async () => false, { timeoutMs: 5_000, signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(isTestBedError(err, 'ABORTED')).toBe(true);
  });
});

import { setTimeout as sleep } from 'node:timers/promises';
import { TestBedError } from './errors.js';

/** Options for {@link waitUntil}. */
export interface WaitUntilOptions {
  timeoutMs: number;
  intervalMs?: number;
  signal?: AbortSignal;
  /** Checked on every round; a string stops the wait with that reason. */
  fail?: () => string | undefined;
}

/** Polls `check` until it returns true, within a bounded time. */
export async function waitUntil(what: string, check: () => Promise<boolean>, options: WaitUntilOptions): Promise<void> {
  const { timeoutMs, intervalMs = 50, signal } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (signal?.aborted) throw new TestBedError('ABORTED', `${what}: aborted`, { cause: signal.reason });
    const failure = options.fail?.();
    if (failure !== undefined) throw new TestBedError('START_FAILED', `${what}: ${failure}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new TestBedError('TIMEOUT', `${what}: not ready after ${timeoutMs} ms`);
    await sleep(intervalMs, undefined, { signal }).catch(() => undefined);
  }
}

import type { Clock } from '../interfaces/clock.js';

/** The real wall clock, with sub-millisecond nanoseconds from `process.hrtime`. */
export class SystemClock implements Clock {
  readonly #originNs = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

  now(): Date {
    return new Date();
  }

  nowNs(): bigint {
    return this.#originNs + process.hrtime.bigint();
  }
}

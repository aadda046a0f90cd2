import { toUnixNs, type Clock } from '../interfaces/clock.js';

/** A clock that stands still until told to move, for deterministic CRI timestamps in tests. */
export class FakeClock implements Clock {
  #now: Date;

  constructor(start: Date = new Date('2025-01-01T00:00:00Z')) {
    this.#now = new Date(start);
  }

  now(): Date {
    return new Date(this.#now);
  }

  nowNs(): bigint {
    return toUnixNs(this.#now);
  }

  /** Moves the clock forward by `ms`. */
  advance(ms: number): void {
    this.#now = new Date(this.#now.getTime() + ms);
  }

  set(date: Date): void {
    this.#now = new Date(date);
  }
}

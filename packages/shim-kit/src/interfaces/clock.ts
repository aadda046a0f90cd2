/** Time as the shim sees it; swap it for a fake clock in tests. */
export interface Clock {
  /** The current time. */
  now(): Date;
  /** The current time in nanoseconds since the Unix epoch, the unit CRI timestamps use. */
  nowNs(): bigint;
}

/** Nanoseconds since the epoch of a date (CRI's timestamp unit). */
export function toUnixNs(date: Date): bigint {
  return BigInt(date.getTime()) * 1_000_000n;
}

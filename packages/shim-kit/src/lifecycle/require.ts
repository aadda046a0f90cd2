import { ShimError } from '../errors.js';

/** Throws `InvalidArgument` naming `what` when `value` is undefined (a missing message field). */
export function required<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) throw new ShimError('InvalidArgument', `${what} is required`);
  return value;
}

/** Throws `InvalidArgument` naming `what` when a string field is empty. */
export function requiredString(value: string, what: string): string {
  if (value === '') throw new ShimError('InvalidArgument', `${what} is required`);
  return value;
}

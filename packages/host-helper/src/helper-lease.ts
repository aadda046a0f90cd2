import { HostHelper } from './host-helper.js';

/** The host helper a part uses, and how it lets go of it. */
export interface HelperLease {
  readonly helper: HostHelper;
  /** Closes the helper when the lease made it; a given one stays open for its owner. */
  release(): Promise<void>;
}

/**
 * The helper for a part that takes a `helper` option: the one given (shared, closed by whoever
 * made it), else a new one of its own (started on first use, closed by `release()`).
 */
export function leaseHelper(given?: HostHelper): HelperLease {
  if (given !== undefined) return { helper: given, release: () => Promise.resolve() };
  const helper = new HostHelper();
  return { helper, release: () => helper.close() };
}

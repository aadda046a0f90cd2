import { field } from '../validation/issue.js';
import type { SpecContext } from './validation-context.js';

/**
 * Memory: swap (memory+swap) at least the limit; the limit at least the reservation.
 * -1 is unlimited and 0 is "not set" (runc ignores a 0 value), so neither is compared.
 */
export function validateResources(ctx: SpecContext): void {
  const memory = field(field(field(ctx.spec, 'linux'), 'resources'), 'memory');
  const limit = bounded(field(memory, 'limit'));
  const swap = bounded(field(memory, 'swap'));
  const reservation = bounded(field(memory, 'reservation'));
  if (swap !== undefined && limit !== undefined && swap < limit) {
    ctx.out.must('/linux/resources/memory/swap', 'memory-swap-ge-limit', `memory+swap ${swap} is below the memory limit ${limit}`);
  }
  if (reservation !== undefined && limit !== undefined && limit < reservation) {
    ctx.out.should(
      '/linux/resources/memory/reservation',
      'memory-limit-ge-reservation',
      `memory reservation ${reservation} is above the memory limit ${limit}`,
    );
  }
}

/** A set, finite limit, or undefined for absent, unset (0), unlimited (negative) or malformed values. */
function bounded(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

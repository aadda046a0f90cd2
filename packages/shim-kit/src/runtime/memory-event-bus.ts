import type { ContainerEventResponse } from '@shimkit/cri-types';
import { ShimError } from '../errors.js';
import type { EventBus } from '../interfaces/event-bus.js';

const DEFAULT_MAX_PENDING = 1024;

interface Subscriber {
  queue: ContainerEventResponse[];
  maxPending: number;
  overflowed: boolean;
  wake: (() => void) | undefined;
}

/** An in-process event bus: each subscriber has its own bounded queue. */
export class MemoryEventBus implements EventBus {
  readonly #subscribers = new Set<Subscriber>();

  /** Number of live subscribers. */
  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  publish(event: ContainerEventResponse): void {
    for (const s of this.#subscribers) {
      if (s.queue.length >= s.maxPending) s.overflowed = true;
      else s.queue.push(event);
      s.wake?.();
    }
  }

  subscribe(options: { signal: AbortSignal; maxPending?: number }): AsyncIterable<ContainerEventResponse> {
    // Registered now, not on the first next(): events published right after subscribe() are kept.
    const sub: Subscriber = { queue: [], maxPending: options.maxPending ?? DEFAULT_MAX_PENDING, overflowed: false, wake: undefined };
    this.#subscribers.add(sub);
    const { signal } = options;
    const subscribers = this.#subscribers;
    const onAbort = (): void => {
      subscribers.delete(sub);
      sub.wake?.();
    };
    if (signal.aborted) subscribers.delete(sub);
    else signal.addEventListener('abort', onAbort, { once: true });
    async function* events(): AsyncGenerator<ContainerEventResponse> {
      try {
        while (!signal.aborted) {
          const next = sub.queue.shift();
          if (next !== undefined) {
            yield next;
            continue;
          }
          if (sub.overflowed) throw new ShimError('ResourceExhausted', `event subscriber fell more than ${sub.maxPending} events behind`);
          await new Promise<void>((resolve) => (sub.wake = resolve));
          sub.wake = undefined;
        }
      } finally {
        subscribers.delete(sub);
        signal.removeEventListener('abort', onAbort);
      }
    }
    return events();
  }
}

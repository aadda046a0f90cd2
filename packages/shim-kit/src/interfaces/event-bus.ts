import type { ContainerEventResponse } from '@shimkit/cri-types';

/** Carries container lifecycle events to GetContainerEvents subscribers. */
export interface EventBus {
  /** Delivers an event to every current subscriber; never blocks. */
  publish(event: ContainerEventResponse): void;
  /**
   * Events published from now on, until `signal` aborts. A subscriber that falls more than
   * `maxPending` events behind is ended with `ShimError('ResourceExhausted')` (kubelet then relists).
   */
  subscribe(options: { signal: AbortSignal; maxPending?: number }): AsyncIterable<ContainerEventResponse>;
}

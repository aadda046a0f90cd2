import { ContainerEventResponse } from '@shimkit/cri-types';
import { describe, expect, it } from 'vitest';
import { MemoryEventBus } from './memory-event-bus.js';

const event = (containerId: string) => ContainerEventResponse.fromPartial({ containerId });

describe('MemoryEventBus', () => {
  it('delivers events published after subscribe to every subscriber, and forgets subscribers that leave', async () => {
    const bus = new MemoryEventBus();
    const c1 = new AbortController();
    const c2 = new AbortController();
    const s1 = bus.subscribe({ signal: c1.signal })[Symbol.asyncIterator]();
    const s2 = bus.subscribe({ signal: c2.signal })[Symbol.asyncIterator]();
    bus.publish(event('a'));
    bus.publish(event('b'));
    expect((await s1.next()).value?.containerId).toBe('a');
    expect((await s1.next()).value?.containerId).toBe('b');
    expect((await s2.next()).value?.containerId).toBe('a');
    c2.abort();
    expect(bus.subscriberCount).toBe(1);
    const waiting = s1.next();
    c1.abort();
    expect((await waiting).done).toBe(true);
    expect(bus.subscriberCount).toBe(0);
  });

  it('ends a subscriber that falls too far behind with ResourceExhausted, after what it had', async () => {
    const bus = new MemoryEventBus();
    const controller = new AbortController();
    const it = bus.subscribe({ signal: controller.signal, maxPending: 2 })[Symbol.asyncIterator]();
    for (const id of ['a', 'b', 'c']) bus.publish(event(id));
    expect((await it.next()).value?.containerId).toBe('a');
    expect((await it.next()).value?.containerId).toBe('b');
    await expect(it.next()).rejects.toMatchObject({ code: 'ResourceExhausted' });
    expect(bus.subscriberCount).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { GcScheduler } from './gc-scheduler.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('GcScheduler', () => {
  it('collects at once when idle', async () => {
    let runs = 0;
    const gc = new GcScheduler(async () => void runs++, () => undefined);
    await gc.request();
    expect(runs).toBe(1);
  });

  it('defers a collection until the work in flight ends, and merges requests', async () => {
    const events: string[] = [];
    const gc = new GcScheduler(async () => void events.push('gc'), () => undefined);
    const gate = deferred();
    const work = gc.use(async () => {
      await gate.promise;
      events.push('work');
    });
    expect(gc.busy).toBe(true);
    const collected = Promise.all([gc.request(), gc.request()]);
    await new Promise((r) => setTimeout(r, 5));
    expect(events).toEqual([]);
    gate.resolve();
    await work;
    await collected;
    expect(events).toEqual(['work', 'gc']);
  });

  it('makes work wait for a running collection', async () => {
    const events: string[] = [];
    const gate = deferred();
    const gc = new GcScheduler(async () => {
      await gate.promise;
      events.push('gc');
    }, () => undefined);
    const collected = gc.request();
    const work = gc.use(async () => void events.push('work'));
    await new Promise((r) => setTimeout(r, 5));
    expect(events).toEqual([]);
    gate.resolve();
    await Promise.all([collected, work]);
    expect(events).toEqual(['gc', 'work']);
  });

  it('reports a failed collection and keeps going', async () => {
    const errors: unknown[] = [];
    let fail = true;
    const gc = new GcScheduler(async () => {
      if (fail) throw new Error('disk on fire');
    }, (e) => errors.push(e));
    await gc.request();
    fail = false;
    await gc.request();
    expect(errors.map(String)).toEqual(['Error: disk on fire']);
    expect(await gc.use(async () => 42)).toBe(42);
  });
});

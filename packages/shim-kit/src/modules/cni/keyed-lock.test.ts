import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from 'vitest';
import { KeyedLock } from './keyed-lock.js';

it('runs operations on one key one at a time, other keys in parallel, and survives failures', async () => {
  const lock = new KeyedLock();
  const log: string[] = [];
  const op = (name: string, ms: number, fail = false) => async () => {
    log.push(`start ${name}`);
    await sleep(ms);
    log.push(`end ${name}`);
    if (fail) throw new Error(name);
    return name;
  };
  const a1 = lock.run('a', op('a1', 30, true));
  const a2 = lock.run('a', op('a2', 1));
  const b1 = lock.run('b', op('b1', 1));
  await expect(a1).rejects.toThrow('a1');
  expect(await a2).toBe('a2');
  expect(await b1).toBe('b1');
  expect(log.indexOf('start a2')).toBeGreaterThan(log.indexOf('end a1'));
  expect(log.indexOf('start b1')).toBeLessThan(log.indexOf('end a1'));
  await lock.idle();
});

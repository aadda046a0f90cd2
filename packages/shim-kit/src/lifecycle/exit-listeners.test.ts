import { describe, expect, it } from 'vitest';
import type { Logger, LogFields } from '../interfaces/logger.js';
import type { ContainerExit } from '../interfaces/runtime-backend.js';
import { ExitListeners } from './exit-listeners.js';

const exit = (id: string): ContainerExit => ({ id, exitCode: 0, exitedAt: new Date(0), oomKilled: false });

function recordingLogger(): { logger: Logger; warnings: [string, LogFields | undefined][] } {
  const warnings: [string, LogFields | undefined][] = [];
  const ignore = (): void => undefined;
  return { warnings, logger: { debug: ignore, info: ignore, error: ignore, warn: (message, fields) => void warnings.push([message, fields]) } as Logger };
}

describe('ExitListeners', () => {
  it('tells every listener until it is removed', () => {
    const listeners = new ExitListeners({ name: 'test backend' });
    const a: string[] = [];
    const b: string[] = [];
    listeners.add((e) => a.push(e.id));
    const removeB = listeners.add((e) => b.push(e.id));
    listeners.tell(exit('c1'));
    removeB();
    listeners.tell(exit('c2'));
    expect(a).toEqual(['c1', 'c2']);
    expect(b).toEqual(['c1']);
  });

  it('logs a listener that throws and still tells the others', () => {
    const { logger, warnings } = recordingLogger();
    const listeners = new ExitListeners({ name: 'test backend', logger });
    const told: string[] = [];
    listeners.add(() => {
      throw new Error('boom');
    });
    listeners.add((e) => told.push(e.id));
    listeners.tell(exit('c1'));
    expect(told).toEqual(['c1']);
    expect(warnings).toEqual([['test backend: exit listener threw', { containerId: 'c1', error: 'Error: boom' }]]);
  });

  it('replays the exits seen before a listener came, after add returned, only those still current', async () => {
    const listeners = new ExitListeners({ name: 'test backend' });
    const told: string[] = [];
    const stale = exit('gone');
    listeners.add((e) => told.push(e.id), { seen: [exit('c1'), stale], current: (e) => e !== stale });
    expect(told).toEqual([]);
    await Promise.resolve();
    expect(told).toEqual(['c1']);
  });

  it('replays nothing to a listener removed before the microtask', async () => {
    const listeners = new ExitListeners({ name: 'test backend' });
    const told: string[] = [];
    listeners.add((e) => told.push(e.id), { seen: [exit('c1')] })();
    await Promise.resolve();
    expect(told).toEqual([]);
  });
});

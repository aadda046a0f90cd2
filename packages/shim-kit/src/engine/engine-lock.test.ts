import { mkdir, mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withEngineLock } from './engine-lock.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'run-lock-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('withEngineLock', () => {
  it('runs holders one at a time', async () => {
    const file = join(dir, 'serial');
    const log: string[] = [];
    const holder = (name: string) => withEngineLock(file, async () => {
      log.push(`${name} in`);
      await new Promise((r) => setTimeout(r, 50));
      log.push(`${name} out`);
      return name;
    });
    expect(await Promise.all([holder('a'), holder('b'), holder('c')])).toEqual(['a', 'b', 'c']);
    for (let i = 0; i < log.length; i += 2) expect(log[i + 1]).toBe(log[i]?.replace(' in', ' out'));
  });

  it('releases the lock when the work fails', async () => {
    const file = join(dir, 'failing');
    await expect(withEngineLock(file, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await withEngineLock(file, () => Promise.resolve('again'))).toBe('again');
  });

  it('takes over a lock left by a process that died (stale)', async () => {
    const file = join(dir, 'stale');
    await mkdir(`${file}.lock`, { recursive: true });
    const old = new Date(Date.now() - 60_000);
    await utimes(`${file}.lock`, old, old);
    expect(await withEngineLock(file, () => Promise.resolve('taken'), { staleMs: 5_000 })).toBe('taken');
  });

  it('stops waiting when aborted', async () => {
    const file = join(dir, 'aborted');
    let release!: () => void;
    const held = withEngineLock(file, () => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setTimeout(r, 20));
    await expect(withEngineLock(file, () => Promise.resolve(), { signal: AbortSignal.timeout(100) })).rejects.toThrow();
    release();
    await held;
  });
});

import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitWatcher, type ContainerExit } from './exit-watcher.js';
import { isRuncError } from './runc-error.js';

describe('ExitWatcher', () => {
  let dir: string;
  let watcher: ExitWatcher;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'exit-watcher-'));
  });
  afterEach(async () => {
    await watcher.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reports existing and new exits once, ignoring temp files renamed away', async () => {
    await writeFile(join(dir, 'old'), '0');
    watcher = new ExitWatcher(dir, { pollIntervalMs: 5000 });
    const seen: ContainerExit[] = [];
    watcher.onExit((e) => seen.push(e));
    await watcher.start();
    expect(seen.map((e) => e.id)).toEqual(['old']);
    const waiting = watcher.wait('new');
    // what conmon does: write a temp file, rename it over the final name
    await writeFile(join(dir, 'new.AB12CD'), '3');
    await rename(join(dir, 'new.AB12CD'), join(dir, 'new'));
    const exit = await waiting;
    expect(exit).toMatchObject({ id: 'new', exitCode: 3 });
    await new Promise((r) => setTimeout(r, 100));
    expect(seen.map((e) => e.id).sort()).toEqual(['new', 'old']);
  });

  it('can skip exits that happened before it started (but still answers wait)', async () => {
    await writeFile(join(dir, 'before'), '1');
    watcher = new ExitWatcher(dir, { reportExisting: false });
    const seen: string[] = [];
    watcher.onExit((e) => seen.push(e.id));
    await watcher.start();
    expect(seen).toEqual([]);
    expect((await watcher.wait('before')).exitCode).toBe(1);
  });

  it('falls back to polling', async () => {
    watcher = new ExitWatcher(dir, { pollIntervalMs: 50, watch: false });
    await watcher.start();
    const waiting = watcher.wait('late');
    await writeFile(join(dir, 'late'), '137');
    expect((await waiting).exitCode).toBe(137);
  });

  it('rejects waits on abort and on close', async () => {
    watcher = new ExitWatcher(dir);
    const ac = new AbortController();
    const aborted = watcher.wait('a', { signal: ac.signal });
    ac.abort();
    expect(isRuncError(await aborted.catch((e: unknown) => e), 'ABORTED')).toBe(true);
    const closed = watcher.wait('b');
    await watcher.start();
    await watcher.close();
    expect(isRuncError(await closed.catch((e: unknown) => e), 'CLOSED')).toBe(true);
  });
});

import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { EngineContainer } from './engine-container.js';
import { pruneExitFiles, REMOVED_EXIT_FILE_MS } from './exit-file-retention.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shimkit-exits-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('deletes the exit files of removed containers once they are old, and keeps the rest', async () => {
  const now = Date.now();
  const old = (now - REMOVED_EXIT_FILE_MS - 1000) / 1000;
  for (const name of ['removed-old', 'removed-new', 'kept-old']) await writeFile(join(dir, name), '0');
  await utimes(join(dir, 'removed-old'), old, old);
  await utimes(join(dir, 'kept-old'), old, old);
  const records = { read: async (id: string) => (id === 'kept-old' ? ({ id } as EngineContainer) : undefined) };
  await pruneExitFiles(dir, records, now);
  expect((await readdir(dir)).sort()).toEqual(['kept-old', 'removed-new']);
  await pruneExitFiles(join(dir, 'missing'), records, now); // no exit dir yet: nothing to do
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processesInNetns } from './netns-processes.js';

describe('processesInNetns', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shimkit-netns-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finds a process in the namespace a path names, taking a matching hint first', async () => {
    const path = `/proc/${process.pid}/ns/net`;
    const found = await processesInNetns([path]);
    const pid = found.get(path);
    expect(pid).toBeDefined();
    expect(await processesInNetns([path], new Map([[path, process.pid]]))).toEqual(new Map([[path, process.pid]]));
  });

  it('ignores a wrong hint, and leaves out paths that are no namespace or do not exist', async () => {
    const path = `/proc/${process.pid}/ns/net`;
    const file = join(dir, 'plain');
    await writeFile(file, '');
    const found = await processesInNetns([path, file, join(dir, 'missing')], new Map([[path, 2 ** 22 + 1]]));
    expect([...found.keys()]).toEqual([path]);
  });
});

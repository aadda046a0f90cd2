import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCgroups, removeCgroupTree } from '../src/cgroups.js';
import { asRoot, isTestBedError, RuncLifecycleLoop } from '../src/index.js';

const execFileAsync = promisify(execFile);

describe('RuncLifecycleLoop', asRoot('runs runc containers'), () => {
  let dir: string;
  let loop: RuncLifecycleLoop;
  const cgroupParent = `shimkit-loop-test-${process.pid}`;
  const root = () => join(dir, 'runc-root');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shimkit-loop-'));
    loop = await RuncLifecycleLoop.start({ dir, root: root(), cgroupsPath: `/${cgroupParent}/c` });
  });
  afterAll(async () => {
    await loop?.close();
    await rm(dir, { recursive: true, force: true });
    for (const cgroup of await findCgroups(cgroupParent)) await removeCgroupTree(cgroup);
  });

  it('runs a whole lifecycle per id and leaves no container', async () => {
    const t = await loop.lifecycle(`loop-${process.pid}`);
    for (const step of ['create', 'start', 'kill', 'delete'] as const) expect(t[step]).toBeGreaterThan(0);
    expect(t.total).toBeCloseTo(t.create + t.start + t.kill + t.delete, 6);
    expect((await execFileAsync('runc', ['--root', root(), 'list', '-q'])).stdout.trim()).toBe('');
  });

  it('names the id when runc refuses to create it, and keeps running', async () => {
    await expect(loop.lifecycle('no/slash')).rejects.toSatisfy((e) => isTestBedError(e, 'COMMAND_FAILED') && /no\/slash/.test((e as Error).message));
    expect((await loop.lifecycle(`loop-again-${process.pid}`)).total).toBeGreaterThan(0);
  });
});

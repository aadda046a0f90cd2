import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HostHelper } from '@shimkit/host-helper';
import { asRoot } from '@shimkit/test-bed';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isImageStoreError } from '../errors.js';
import { Mounter, overlaySupported } from './mount.js';
import { isMountPoint } from './snapshot-store.js';

let dir: string;
let helper: HostHelper;
let mounter: Mounter;

async function overlayDirs(): Promise<{ target: string; options: { lowerDirs: string[]; upperDir: string; workDir: string } }> {
  for (const d of ['lower', 'upper', 'work', 'merged']) await mkdir(join(dir, d));
  await writeFile(join(dir, 'lower', 'file'), 'from the lower dir');
  return { target: join(dir, 'merged'), options: { lowerDirs: [join(dir, 'lower')], upperDir: join(dir, 'upper'), workDir: join(dir, 'work') } };
}

async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !done(); i++) await new Promise((r) => setTimeout(r, 20));
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mount-test-'));
  helper = new HostHelper();
  mounter = new Mounter(helper);
});

afterEach(async () => {
  if (await isMountPoint(join(dir, 'merged'))) execFileSync('umount', ['-l', join(dir, 'merged')]);
  await helper.close();
  await rm(dir, { recursive: true, force: true });
});

describe('Mounter (through the host helper)', asRoot('mount(2)'), () => {
  it('mounts an overlay with the lower files visible, and unmounts it', async () => {
    const { target, options } = await overlayDirs();
    await mounter.mountOverlay(target, options);
    expect(await isMountPoint(target)).toBe(true);
    expect(await readFile(join(target, 'file'), 'utf8')).toBe('from the lower dir');
    await writeFile(join(target, 'new'), 'x');
    expect(await readFile(join(dir, 'upper', 'new'), 'utf8')).toBe('x');
    await mounter.unmount(target);
    expect(await isMountPoint(target)).toBe(false);
  });

  it('mounts with flag options', async () => {
    const target = join(dir, 'merged');
    await mkdir(target, { recursive: true });
    await mounter.mount({ source: 'shm', target, fstype: 'tmpfs', flags: ['nosuid', 'nodev', 'noexec'], data: 'mode=750,size=1024k' });
    const line = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').find((l) => l.split(' ')[4] === target) ?? '';
    expect(line.split(' ')[5]).toMatch(/nosuid,nodev,noexec/);
    expect(line).toMatch(/ tmpfs shm rw,size=1024k,mode=750/);
    await mounter.unmount(target);
    expect(await isMountPoint(target)).toBe(false);
  });

  it('makes many calls at once, each answered on its own', async () => {
    const targets: string[] = [];
    for (let i = 0; i < 8; i++) {
      const t = join(dir, `t${i}`);
      await mkdir(t);
      targets.push(t);
    }
    await Promise.all(targets.map((t) => mounter.mount({ source: 'tmpfs', target: t, fstype: 'tmpfs', data: 'size=1m' })));
    for (const t of targets) expect(await isMountPoint(t)).toBe(true);
    const results = await Promise.allSettled([
      ...targets.map((t) => mounter.unmount(t)),
      mounter.unmount(join(dir, 'missing')),
      mounter.mount({ source: 'tmpfs', target: join(dir, 'missing'), fstype: 'tmpfs' }),
    ]);
    expect(results.map((r) => r.status)).toEqual([...targets.map(() => 'fulfilled'), 'fulfilled', 'rejected']);
    for (const t of targets) expect(await isMountPoint(t)).toBe(false);
  });

  it('names the target and the kernel error when a mount fails', async () => {
    const { options } = await overlayDirs();
    const missing = await mounter.mountOverlay(join(dir, 'no-such-dir'), options).catch((e: unknown) => e);
    expect(isImageStoreError(missing, 'STORE_IO')).toBe(true);
    expect((missing as Error).message).toMatch(/mount overlay on .*no-such-dir: No such file or directory/);
    expect((missing as Error).cause).toMatchObject({ name: 'SystemCallError', code: 'ENOENT' });
    await expect(mounter.mountOverlay(join(dir, 'merged'), { ...options, lowerDirs: [join(dir, 'gone')] }))
      .rejects.toMatchObject({ code: 'STORE_IO', message: expect.stringContaining(`mount overlay on ${join(dir, 'merged')}`) });
  });

  it('unmounts quietly what is not mounted, and lazily what is busy', async () => {
    const { target, options } = await overlayDirs();
    await mounter.unmount(target);
    await mounter.unmount(join(dir, 'no-such-dir'));
    await mounter.mountOverlay(target, options);
    const busy = spawn('sleep', ['30'], { cwd: target, stdio: 'ignore' });
    try {
      await once(busy, 'spawn');
      await mounter.unmount(target);
      expect(await isMountPoint(target)).toBe(false);
    } finally {
      busy.kill('SIGKILL');
    }
  });

  it('goes on with a new helper when the old one died; the helper\'s owner ends it', async () => {
    const { target, options } = await overlayDirs();
    await mounter.mountOverlay(target, options);
    const pid = helper.pid;
    expect(pid).toBeDefined();
    process.kill(pid as number, 'SIGKILL');
    await until(() => helper.pid === undefined);
    await mounter.unmount(target);
    expect(await isMountPoint(target)).toBe(false);
    const second = helper.pid;
    expect(second).toBeDefined();
    expect(second).not.toBe(pid);
    await helper.close();
    expect(helper.pid).toBeUndefined();
    expect(existsSync(`/proc/${second}`)).toBe(false);
  });

  it('fails naming the target when the helper is missing, and the overlay probe says so rather than no', async () => {
    const broken = new Mounter(new HostHelper({ binary: join(dir, 'no-helper') }));
    const { target, options } = await overlayDirs();
    const err = await broken.mountOverlay(target, options).catch((e: unknown) => e);
    expect(isImageStoreError(err, 'STORE_IO')).toBe(true);
    expect((err as Error).message).toContain(`mount overlay on ${target}: `);
    expect((err as Error).message).toContain(`${join(dir, 'no-helper')} is missing`);
    expect((err as Error).cause).toMatchObject({ name: 'HostHelperError', code: 'HELPER_MISSING' });
    await expect(broken.unmount(target)).rejects.toMatchObject({ code: 'STORE_IO', message: expect.stringContaining(`umount ${target}: `) });
    await expect(overlaySupported(join(dir, 'probe'), broken)).rejects.toMatchObject({ code: 'STORE_IO' });
    expect(await overlaySupported(join(dir, 'probe'), mounter)).toBe(true);
  });

  it('does not keep an idle process alive', () => {
    // The helper is unreferenced while idle: a Node process that used it exits on its own.
    const res = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./mount-and-exit.test-helper.ts', import.meta.url)), dir], { encoding: 'utf8', timeout: 10_000 });
    expect(res.stderr).toBe('');
    expect(res.stdout.trim()).toBe('done');
    expect(res.status).toBe(0);
  });
});

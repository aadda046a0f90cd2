import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MountHelper } from './mount-helper.js';
import { Mounter } from './mount.js';
import { isMountPoint } from './snapshot-store.js';

let dir: string;
let mounter: Mounter;

async function overlayDirs(): Promise<{ target: string; options: { lowerDirs: string[]; upperDir: string; workDir: string } }> {
  for (const d of ['lower', 'upper', 'work', 'merged']) await mkdir(join(dir, d));
  await writeFile(join(dir, 'lower', 'file'), 'from the lower dir');
  return { target: join(dir, 'merged'), options: { lowerDirs: [join(dir, 'lower')], upperDir: join(dir, 'upper'), workDir: join(dir, 'work') } };
}

/** Perl children of this process running the helper. */
function helperPids(): number[] {
  const out = spawnSync('pgrep', ['-P', String(process.pid), 'perl'], { encoding: 'utf8' }).stdout;
  return out.split('\n').filter(Boolean).map(Number);
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mount-test-'));
  mounter = new Mounter();
});

afterEach(async () => {
  if (await isMountPoint(join(dir, 'merged'))) execFileSync('umount', ['-l', join(dir, 'merged')]);
  mounter.close();
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(process.getuid?.() !== 0)('Mounter (overlay through the mount helper)', () => {
  it('mounts an overlay with the lower files visible, and unmounts it', async () => {
    expect(mounter.helper.available).toBe(true);
    const { target, options } = await overlayDirs();
    await mounter.mountOverlay(target, options);
    expect(await isMountPoint(target)).toBe(true);
    expect(await readFile(join(target, 'file'), 'utf8')).toBe('from the lower dir');
    await writeFile(join(target, 'new'), 'x');
    expect(await readFile(join(dir, 'upper', 'new'), 'utf8')).toBe('x');
    await mounter.unmount(target);
    expect(await isMountPoint(target)).toBe(false);
  });

  it('mounts with flag options, by system call or by mount(8)', async () => {
    for (const m of [mounter, new Mounter(new MountHelper('/nonexistent/perl'))]) {
      const target = join(dir, 'merged');
      await mkdir(target, { recursive: true });
      await m.mount({ source: 'shm', target, fstype: 'tmpfs', flags: ['nosuid', 'nodev', 'noexec'], data: 'mode=750,size=1024k' });
      const line = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').find((l) => l.split(' ')[4] === target) ?? '';
      expect(line.split(' ')[5]).toMatch(/nosuid,nodev,noexec/);
      expect(line).toMatch(/ tmpfs shm rw,size=1024k,mode=750/);
      await m.unmount(target);
      expect(await isMountPoint(target)).toBe(false);
      m.close();
    }
  });

  it('answers many calls in flight in order', async () => {
    const targets: string[] = [];
    for (let i = 0; i < 8; i++) {
      const t = join(dir, `t${i}`);
      await mkdir(t);
      targets.push(t);
    }
    await Promise.all(targets.map((t) => mounter.helper.mount('tmpfs', t, 'tmpfs', 0, 'size=1m')));
    for (const t of targets) expect(await isMountPoint(t)).toBe(true);
    const results = await Promise.allSettled([...targets.map((t) => mounter.helper.unmount(t)), mounter.helper.unmount(join(dir, 'missing'))]);
    expect(results.map((r) => r.status)).toEqual([...targets.map(() => 'fulfilled'), 'rejected']);
    for (const t of targets) expect(await isMountPoint(t)).toBe(false);
  });

  it('names the target and the kernel error when a mount fails', async () => {
    const { options } = await overlayDirs();
    await expect(mounter.mountOverlay(join(dir, 'no-such-dir'), options)).rejects.toThrow(/mount overlay on .*no-such-dir: No such file or directory/);
    await expect(mounter.mountOverlay(join(dir, 'merged'), { ...options, lowerDirs: [join(dir, 'gone')] })).rejects.toMatchObject({ code: 'STORE_IO' });
  });

  it('unmounts quietly what is not mounted, and lazily what is busy', async () => {
    const { target, options } = await overlayDirs();
    await mounter.unmount(target);
    await mounter.mountOverlay(target, options);
    const busy = spawnSync('sh', ['-c', `cd ${target} && (sleep 30 >/dev/null 2>&1 & echo $!)`], { encoding: 'utf8' }).stdout.trim();
    try {
      await mounter.unmount(target);
      expect(await isMountPoint(target)).toBe(false);
    } finally {
      process.kill(Number(busy), 'SIGKILL');
    }
  });

  it('starts a new helper when the old one died, and ends it on close', async () => {
    const { target, options } = await overlayDirs();
    await mounter.mountOverlay(target, options);
    const [pid] = helperPids();
    expect(pid).toBeDefined();
    process.kill(pid as number, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 50));
    await mounter.unmount(target);
    expect(await isMountPoint(target)).toBe(false);
    expect(helperPids()).toHaveLength(1);
    mounter.close();
    for (let i = 0; i < 50 && helperPids().length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(helperPids()).toEqual([]);
  });

  it('uses mount(8) and umount(8) when the helper cannot run', async () => {
    mounter = new Mounter(new MountHelper('/nonexistent/perl'));
    const { target, options } = await overlayDirs();
    await mounter.mountOverlay(target, options);
    expect(mounter.helper.available).toBe(false);
    expect(await isMountPoint(target)).toBe(true);
    await mounter.unmount(target);
    expect(await isMountPoint(target)).toBe(false);
    await expect(mounter.mountOverlay(join(dir, 'no-such-dir'), options)).rejects.toThrow(/mount -t overlay .*no-such-dir/);
  });

  it('does not keep an idle process alive', () => {
    // The helper is unreferenced while idle: a Node process that used it exits on its own.
    const code = `
      const { MountHelper } = await import(${JSON.stringify(join(import.meta.dirname, '..', '..', 'dist', 'snapshot', 'mount-helper.js'))});
      const h = new MountHelper();
      await h.mount('tmpfs', ${JSON.stringify(dir)}, 'tmpfs', 0, 'size=1m');
      await h.unmount(${JSON.stringify(dir)});
      console.log('done');`;
    const res = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 10_000 });
    expect(res.stderr).toBe('');
    expect(res.stdout.trim()).toBe('done');
    expect(res.status).toBe(0);
  });
});

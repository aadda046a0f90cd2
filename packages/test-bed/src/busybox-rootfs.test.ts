import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { lstat, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createBusyboxRootfs } from './busybox-rootfs.js';
import { isTestBedError } from './errors.js';

const execFileAsync = promisify(execFile);
const dirs: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `tb-rootfs-${process.pid}-`));
  dirs.push(dir);
  return dir;
}

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('createBusyboxRootfs', () => {
  it('makes hard-linked applets, /etc files and empty system dirs', async () => {
    const dir = await tempDir();
    const rootfs = await createBusyboxRootfs(join(dir, 'rootfs'));
    expect(rootfs.applets).toContain('bin/sh');
    const busybox = await stat(join(rootfs.dir, 'bin/busybox'));
    const sh = await lstat(join(rootfs.dir, 'bin/sh'));
    expect(sh.isFile()).toBe(true);
    expect(sh.ino).toBe(busybox.ino);
    expect(await readFile(join(rootfs.dir, 'etc/passwd'), 'utf8')).toMatch(/^root:x:0:0:/);
    expect(await readFile(join(rootfs.dir, 'etc/group'), 'utf8')).toMatch(/^root:x:0:/);
    for (const d of ['tmp', 'proc', 'sys', 'dev']) expect((await stat(join(rootfs.dir, d))).isDirectory()).toBe(true);
    expect((await stat(join(rootfs.dir, 'tmp'))).mode & 0o7777).toBe(0o1777);
  });

  it('gives a rootfs whose shell runs under chroot', async () => {
    const rootfs = await createBusyboxRootfs(join(await tempDir(), 'r'));
    const { stdout } = await execFileAsync('chroot', [rootfs.dir, '/bin/sh', '-c', 'echo hi from $(ls /bin/busybox)']);
    expect(stdout.trim()).toBe('hi from /bin/busybox');
  });

  it('can use symbolic links instead', async () => {
    const rootfs = await createBusyboxRootfs(join(await tempDir(), 'r'), { links: 'symbolic' });
    expect((await lstat(join(rootfs.dir, 'bin/sh'))).isSymbolicLink()).toBe(true);
  });

  it('names a missing busybox binary', async () => {
    const err = await createBusyboxRootfs(join(await tempDir(), 'r'), { busybox: '/nonexistent/busybox' }).catch((e: unknown) => e);
    expect(isTestBedError(err, 'BINARY_MISSING')).toBe(true);
    expect((err as Error).message).toContain('/nonexistent/busybox');
  });
});

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HostHelper } from './host-helper.js';

const dir = mkdtempSync(join(tmpdir(), 'helper-kernel-test-'));
const helper = new HostHelper();
afterAll(async () => {
  await helper.close();
  rmSync(dir, { recursive: true, force: true });
});

const mounted = (path: string): boolean => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === path);
const nsOf = (pid: number | string, kind: string): string => execFileSync('readlink', [`/proc/${pid}/ns/${kind}`], { encoding: 'utf8' }).trim();
const MS_RDONLY = 1;

describe('HostHelper mounts', () => {
  it('mounts a tmpfs with flags and data, and unmounts it', async () => {
    const target = join(dir, 'tmpfs');
    execFileSync('mkdir', [target]);
    await helper.mount('shm', target, 'tmpfs', MS_RDONLY, 'size=64k,mode=700');
    expect(mounted(target)).toBe(true);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).toMatch(new RegExp(`${target} ro,.*tmpfs shm ro,.*size=64k,mode=700`));
    await helper.unmount(target);
    expect(mounted(target)).toBe(false);
  });

  it('rejects with the errno and names what failed', async () => {
    await expect(helper.mount('shm', join(dir, 'missing'), 'tmpfs', 0, '')).rejects.toMatchObject({ name: 'SystemCallError', code: 'ENOENT', message: expect.stringContaining(join(dir, 'missing')) });
    await expect(helper.mount('x', dir, 'no-such-fs', 0, '')).rejects.toMatchObject({ code: 'ENODEV' });
    await expect(helper.unmount(dir)).rejects.toMatchObject({ code: 'EINVAL', message: expect.stringContaining(`umount ${dir}`) });
  });
});

describe('HostHelper files', () => {
  it('makes device nodes and fifos with the exact mode, whatever the umask', async () => {
    await helper.mknod(join(dir, 'null'), 0o020000 | 0o666, 1, 3);
    await helper.mknod(join(dir, 'fifo'), 0o010000 | 0o640);
    const dev = statSync(join(dir, 'null'));
    expect(dev.isCharacterDevice()).toBe(true);
    expect(dev.mode & 0o7777).toBe(0o666);
    expect(dev.rdev).toBe(statSync('/dev/null').rdev);
    expect(statSync(join(dir, 'fifo')).isFIFO()).toBe(true);
    expect(statSync(join(dir, 'fifo')).mode & 0o7777).toBe(0o640);
    await expect(helper.mknod(join(dir, 'null'), 0o020000 | 0o666, 1, 3)).rejects.toMatchObject({ code: 'EEXIST', message: expect.stringContaining(join(dir, 'null')) });
  });

  it('sets an xattr on the path itself, never through a symlink', async () => {
    const file = join(dir, 'with-xattr');
    writeFileSync(file, '');
    await helper.setXattr(file, 'user.test', Buffer.from([0, 1, 2, 255]));
    await helper.setXattr(file, 'trusted.overlay.opaque', Buffer.from('y'));
    expect(execFileSync('getfattr', ['--absolute-names', '-e', 'hex', '-n', 'user.test', file], { encoding: 'utf8' })).toContain('user.test=0x000102ff');
    expect(execFileSync('getfattr', ['--absolute-names', '-n', 'trusted.overlay.opaque', file], { encoding: 'utf8' })).toContain('trusted.overlay.opaque="y"');
    const link = join(dir, 'link');
    symlinkSync(file, link);
    // user.* xattrs are not allowed on symlinks: the call reaches the link, not its target
    await expect(helper.setXattr(link, 'user.other', Buffer.from('v'))).rejects.toMatchObject({ code: 'EPERM' });
  });

  it('reads an xattr of the path itself, null when it has none of that name', async () => {
    const dir2 = join(dir, 'xattr-read');
    execFileSync('mkdir', [dir2]);
    execFileSync('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', dir2]);
    execFileSync('setfattr', ['-n', 'user.bytes', '-v', '0x00ff01', dir2]);
    expect(await helper.getXattr(dir2, 'trusted.overlay.opaque')).toEqual(Buffer.from('y'));
    expect(await helper.getXattr(dir2, 'user.bytes')).toEqual(Buffer.from([0, 255, 1]));
    expect(await helper.getXattr(dir2, 'user.none')).toBeNull();
    // a symlink to it is read as the link, which has no such xattr
    const link = join(dir, 'xattr-link');
    symlinkSync(dir2, link);
    expect(await helper.getXattr(link, 'trusted.overlay.opaque')).toBeNull();
    await expect(helper.getXattr(join(dir, 'missing'), 'user.a')).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining(`getxattr user.a on ${join(dir, 'missing')}`) });
  });

  it('lists the xattr names of the path itself, none for a plain file or a symlink', async () => {
    const file = join(dir, 'xattr-list');
    writeFileSync(file, '');
    expect(await helper.listXattrs(file)).toEqual([]);
    await helper.setXattr(file, 'user.one', Buffer.from('1'));
    await helper.setXattr(file, 'trusted.overlay.origin', Buffer.from(''));
    expect((await helper.listXattrs(file)).sort()).toEqual(['trusted.overlay.origin', 'user.one']);
    const link = join(dir, 'xattr-list-link');
    symlinkSync(file, link);
    expect(await helper.listXattrs(link)).toEqual([]);
    await expect(helper.listXattrs(join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining(`listxattr on ${join(dir, 'missing')}`) });
  });
});

describe('HostHelper.pinNamespaces', () => {
  it('pins new IPC, UTS and network namespaces on files, sets the hostname and sysctls inside, and stays in its own', async () => {
    const pins = { ipc: join(dir, 'ipc'), uts: join(dir, 'uts'), net: join(dir, 'net') };
    for (const p of Object.values(pins)) writeFileSync(p, '');
    await helper.pinNamespaces({
      ipc: pins.ipc,
      uts: { path: pins.uts, hostname: 'pinned-host' },
      net: pins.net,
      sysctls: [['/proc/sys/kernel/shmmni', '1234'], ['/proc/sys/net/ipv4/ip_unprivileged_port_start', '99']],
    });
    try {
      for (const kind of ['ipc', 'uts', 'net'] as const) {
        expect(mounted(pins[kind])).toBe(true);
        expect(nsOf(helper.pid as number, kind)).toBe(nsOf('self', kind));
      }
      const inside = (cmd: string): string => execFileSync('nsenter', [`--ipc=${pins.ipc}`, `--uts=${pins.uts}`, `--net=${pins.net}`, 'sh', '-c', cmd], { encoding: 'utf8' }).trim();
      expect(inside('hostname; cat /proc/sys/kernel/shmmni /proc/sys/net/ipv4/ip_unprivileged_port_start').split('\n')).toEqual(['pinned-host', '1234', '99']);
      expect(readFileSync('/proc/sys/kernel/shmmni', 'utf8').trim()).not.toBe('1234');
    } finally {
      for (const p of Object.values(pins)) await helper.unmount(p);
    }
  });

  it('enters an existing network namespace for its sysctls', async () => {
    const net = join(dir, 'net2');
    writeFileSync(net, '');
    await helper.pinNamespaces({ net });
    try {
      await helper.pinNamespaces({ netns: net, sysctls: [['/proc/sys/net/ipv4/ping_group_range', '0 12345']] });
      expect(execFileSync('nsenter', [`--net=${net}`, 'cat', '/proc/sys/net/ipv4/ping_group_range'], { encoding: 'utf8' })).toMatch(/^0\s+12345/);
    } finally {
      await helper.unmount(net);
    }
  });

  it('pins a user namespace with its mappings, and new namespaces that belong to it', async () => {
    const mapping = [{ containerId: 0, hostId: 1000, length: 100000 }];
    const pins = { user: join(dir, 'userns'), net: join(dir, 'userns-net'), ipc: join(dir, 'userns-ipc'), uts: join(dir, 'userns-uts') };
    for (const p of Object.values(pins)) writeFileSync(p, '');
    await helper.pinNamespaces({ user: { path: pins.user, uidMappings: mapping, gidMappings: mapping }, net: pins.net });
    try {
      await helper.pinNamespaces({ userns: pins.user, ipc: pins.ipc, uts: { path: pins.uts, hostname: 'in-userns' }, netns: pins.net, sysctls: [['/proc/sys/net/ipv4/ping_group_range', '0 7']] });
      const inside = (cmd: string): string => execFileSync('nsenter', [`--user=${pins.user}`, `--net=${pins.net}`, `--uts=${pins.uts}`, `--ipc=${pins.ipc}`, 'sh', '-c', cmd], { encoding: 'utf8' });
      expect(inside('cat /proc/self/uid_map /proc/self/gid_map').split('\n').map((l) => l.trim().split(/\s+/).join(' '))).toEqual(['0 1000 100000', '0 1000 100000', '']);
      expect(inside('hostname; cat /proc/sys/net/ipv4/ping_group_range').split('\n').slice(0, 2).map((l) => l.replace(/\s+/g, ' '))).toEqual(['in-userns', '0 7']);
      // root of the user namespace administers the network namespace: it belongs to that user namespace
      expect(() => inside('ip link set lo up')).not.toThrow();
      expect(nsOf(helper.pid as number, 'user')).toBe(nsOf('self', 'user'));
    } finally {
      for (const p of Object.values(pins)) await helper.unmount(p).catch(() => undefined);
    }
  });

  it('refuses a mapping the kernel refuses, naming it, and pins nothing', async () => {
    const user = join(dir, 'bad-userns');
    writeFileSync(user, '');
    const overlapping = [{ containerId: 0, hostId: 1000, length: 10 }, { containerId: 5, hostId: 2000, length: 10 }];
    await expect(helper.pinNamespaces({ user: { path: user, uidMappings: overlapping, gidMappings: overlapping } })).rejects.toMatchObject({ code: 'EINVAL', message: expect.stringContaining('uid_map') });
    expect(mounted(user)).toBe(false);
    await expect(helper.pinNamespaces({ userns: join(dir, 'no-userns'), ipc: user })).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining('no-userns') });
  });

  it('mounts a tree idmapped through a user namespace', async () => {
    const mapping = [{ containerId: 0, hostId: 1000, length: 100000 }];
    const user = join(dir, 'idmap-userns');
    const [source, target] = [join(dir, 'idmap-source'), join(dir, 'idmap-target')];
    writeFileSync(user, '');
    execFileSync('mkdir', [source, target]);
    writeFileSync(join(source, 'owned-by-root'), '');
    await helper.pinNamespaces({ user: { path: user, uidMappings: mapping, gidMappings: mapping } });
    try {
      await helper.idmapMount(source, target, user);
      // uid 0 on disk is the namespace's root: host uid 1000 through the mount
      expect(statSync(join(target, 'owned-by-root'))).toMatchObject({ uid: 1000, gid: 1000 });
      expect(statSync(join(source, 'owned-by-root'))).toMatchObject({ uid: 0, gid: 0 });
      await helper.unmount(target);
      await expect(helper.idmapMount(source, target, join(dir, 'missing-userns'))).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining(`idmapped mount of ${source} on ${target}`) });
      expect(mounted(target)).toBe(false);
    } finally {
      await helper.unmount(user);
    }
  });

  it('a failure names what failed and leaves no pin mounted', async () => {
    const ipc = join(dir, 'ipc-bad');
    writeFileSync(ipc, '');
    await expect(helper.pinNamespaces({ ipc, sysctls: [['/proc/sys/kernel/no-such-sysctl', '1']] })).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining('/proc/sys/kernel/no-such-sysctl') });
    await expect(helper.pinNamespaces({ ipc: join(dir, 'no-pin-file') })).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining('no-pin-file') });
    await expect(helper.pinNamespaces({ netns: join(dir, 'no-netns') })).rejects.toMatchObject({ message: expect.stringContaining('no-netns') });
    expect(mounted(ipc)).toBe(false);
    expect(nsOf(helper.pid as number, 'ipc')).toBe(nsOf('self', 'ipc'));
    expect(nsOf(helper.pid as number, 'net')).toBe(nsOf('self', 'net'));
  });
});

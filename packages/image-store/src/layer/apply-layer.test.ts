import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostHelper } from '@shimkit/host-helper';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isImageStoreError } from '../errors.js';
import type { TarWriteEntry } from '../tar/tar-writer.js';
import { buildTar } from '../tar/tar-writer.js';
import type { ApplyLayerOptions } from './apply-layer.js';
import { applyLayer } from './apply-layer.js';

let base: string;
let root: string;
let outside: string;

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), `shimkit-apply-${process.pid}-`));
  root = join(base, 'root');
  outside = join(base, 'outside');
  mkdirSync(root);
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret'), 'original');
});
afterEach(() => {
  try {
    execFileSync('umount', [join(base, 'merged')], { stdio: 'ignore' });
  } catch {
    // not mounted
  }
  rmSync(base, { recursive: true, force: true });
});

async function* once(data: Buffer): AsyncGenerator<Buffer> {
  yield data;
}

function apply(entries: TarWriteEntry[], options?: ApplyLayerOptions, dir = root) {
  return applyLayer(dir, once(buildTar(entries)), options);
}

/** The host helper processes this test process started and has not ended. */
function helperChildren(): number[] {
  return spawnSync('pgrep', ['-P', String(process.pid), '-x', 'shimkit-helper'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
}

/** An xattr's value as getfattr reads it, byte by byte. */
function xattrBytes(path: string, name: string): number[] {
  return [...execFileSync('getfattr', ['--absolute-names', '--only-values', '-n', name, path])];
}

/** Everything in `outside` is as the test left it. */
function outsideUntouched(): void {
  expect(readdirSync(outside)).toEqual(['secret']);
  expect(readFileSync(join(outside, 'secret'), 'utf8')).toBe('original');
  expect(readdirSync(base).sort()).toEqual(['outside', 'root']);
}

describe('applyLayer', () => {
  it('creates every entry kind with its metadata', async () => {
    const result = await apply([
      { path: './', type: 'directory', mode: 0o755, mtime: 1000 },
      { path: './etc/', type: 'directory', mode: 0o750, uid: 1, gid: 2, mtime: 2000 },
      { path: './etc/passwd', type: 'file', data: 'root:x:0:0\n', mode: 0o644, uid: 0, gid: 0, mtime: 3000 },
      { path: './bin/su', type: 'file', data: 'ELF', mode: 0o4755, uid: 0, gid: 0, mtime: 3000 },
      { path: './bin/sh', type: 'symlink', linkname: '/bin/busybox', uid: 5, gid: 6, mtime: 4000 },
      { path: './bin/su2', type: 'hardlink', linkname: './bin/su' },
      { path: './dev/null', type: 'char', devmajor: 1, devminor: 3, mode: 0o666 },
      { path: './dev/loop0', type: 'block', devmajor: 7, devminor: 0, mode: 0o660 },
      { path: './run/fifo', type: 'fifo', mode: 0o600 },
      { path: './caps', type: 'file', data: 'x', xattrs: { 'user.shimkit': 'yes' } },
    ]);
    expect(result).toEqual({ entries: 10, bytes: 11 + 3 + 1 });
    expect(readFileSync(join(root, 'etc/passwd'), 'utf8')).toBe('root:x:0:0\n');
    const etc = lstatSync(join(root, 'etc'));
    expect([etc.mode & 0o7777, etc.uid, etc.gid, etc.mtimeMs]).toEqual([0o750, 1, 2, 2_000_000]);
    expect(lstatSync(join(root, 'bin/su')).mode & 0o7777).toBe(0o4755);
    expect(lstatSync(join(root, 'etc/passwd')).mtimeMs).toBe(3_000_000);
    expect(lstatSync(root).mtimeMs).toBe(1_000_000);
    expect(readlinkSync(join(root, 'bin/sh'))).toBe('/bin/busybox');
    const sh = lstatSync(join(root, 'bin/sh'));
    expect([sh.uid, sh.gid, sh.mtimeMs]).toEqual([5, 6, 4_000_000]);
    expect(lstatSync(join(root, 'bin/su2')).ino).toBe(lstatSync(join(root, 'bin/su')).ino);
    const dev = lstatSync(join(root, 'dev/null'));
    expect(dev.isCharacterDevice()).toBe(true);
    expect(dev.rdev).toBe(0x103);
    expect(lstatSync(join(root, 'dev/loop0')).isBlockDevice()).toBe(true);
    expect(lstatSync(join(root, 'run/fifo')).isFIFO()).toBe(true);
    expect(execFileSync('getfattr', ['--absolute-names', '--only-values', '-n', 'user.shimkit', join(root, 'caps')]).toString()).toBe('yes');
  });

  it('makes device nodes and fifos with their exact mode and device number, and xattrs with their exact value', async () => {
    process.umask(0o077);
    try {
      await apply([
        { path: 'dev/tty', type: 'char', devmajor: 4, devminor: 300, mode: 0o620 },
        { path: 'dev/sda', type: 'block', devmajor: 8, devminor: 0, mode: 0o660 },
        { path: 'run/fifo', type: 'fifo', mode: 0o4751 },
        { path: 'bin/ping', type: 'file', data: 'ELF', mode: 0o755, xattrs: { 'security.capability': Buffer.from([1, 0, 0, 2, 0, 32, 0, 0, ...Array<number>(12).fill(0)]), 'user.bytes': Buffer.from([0, 1, 2, 255]) } },
        { path: 'etc/', type: 'directory', mode: 0o755, xattrs: { 'trusted.overlay.opaque': 'y' } },
        { path: 'lnk', type: 'symlink', linkname: 'bin/ping', xattrs: { 'trusted.shimkit': 'on the link' } },
      ]);
    } finally {
      process.umask(0o022);
    }
    const tty = lstatSync(join(root, 'dev/tty'));
    expect(tty.isCharacterDevice()).toBe(true);
    expect(tty.mode & 0o7777).toBe(0o620);
    // glibc's makedev(4, 300): the minor's high bits above the major
    expect(tty.rdev).toBe(0x10042c);
    const sda = lstatSync(join(root, 'dev/sda'));
    expect([sda.isBlockDevice(), sda.mode & 0o7777, sda.rdev]).toEqual([true, 0o660, 0x800]);
    const fifo = lstatSync(join(root, 'run/fifo'));
    expect([fifo.isFIFO(), fifo.mode & 0o7777]).toEqual([true, 0o4751]);
    expect(xattrBytes(join(root, 'bin/ping'), 'security.capability')).toEqual([1, 0, 0, 2, 0, 32, 0, 0, ...Array<number>(12).fill(0)]);
    expect(xattrBytes(join(root, 'bin/ping'), 'user.bytes')).toEqual([0, 1, 2, 255]);
    expect(xattrBytes(join(root, 'etc'), 'trusted.overlay.opaque')).toEqual([...Buffer.from('y')]);
    // on the link itself (getfattr -h), not on the file it points at
    expect(execFileSync('getfattr', ['-h', '--absolute-names', '--only-values', '-n', 'trusted.shimkit', join(root, 'lnk')], { encoding: 'utf8' })).toBe('on the link');
    expect(execFileSync('getfattr', ['--absolute-names', '-d', '-m', 'trusted', join(root, 'bin/ping')], { encoding: 'utf8' })).toBe('');
    // the helper it started for these is gone
    expect(helperChildren()).toEqual([]);
  });

  it('uses a helper it is given and leaves it open', async () => {
    await using helper = new HostHelper();
    await apply([{ path: 'fifo', type: 'fifo', mode: 0o600 }], { helper });
    const pid = helper.pid;
    expect(pid).toBeDefined();
    expect(helperChildren()).toEqual([pid]);
    await apply([{ path: 'dev/null', type: 'char', devmajor: 1, devminor: 3, mode: 0o666 }], { helper });
    expect(helper.pid).toBe(pid);
    expect(lstatSync(join(root, 'dev/null')).rdev).toBe(lstatSync('/dev/null').rdev);
    await helper.close();
    expect(existsSync(`/proc/${pid}`)).toBe(false);
  });

  it('names the path when a device node or xattr cannot be made', async () => {
    const xattrErr = await apply([{ path: 'link', type: 'symlink', linkname: 'x', xattrs: { 'user.a': 'b' } }]).catch((e: unknown) => e);
    expect(isImageStoreError(xattrErr, 'LAYER_APPLY_FAILED')).toBe(true);
    // user.* xattrs are not allowed on symlinks: the call reached the link, not its missing target
    expect((xattrErr as Error).message).toBe(`setxattr user.a on ${join(root, 'link')}: Operation not permitted (EPERM)`);
    const missing = new HostHelper({ binary: join(base, 'no-helper') });
    const nodeErr = await apply([{ path: 'dev/null', type: 'char', devmajor: 1, devminor: 3 }], { helper: missing }).catch((e: unknown) => e);
    expect(isImageStoreError(nodeErr, 'LAYER_APPLY_FAILED')).toBe(true);
    expect((nodeErr as Error).message).toMatch(new RegExp(`^mknod ${join(root, 'dev/null')}: the host helper .*no-helper is missing`));
    expect((nodeErr as Error).cause).toMatchObject({ code: 'HELPER_MISSING' });
    expect(helperChildren()).toEqual([]);
  });

  it('replaces a file by a directory and a directory by a file', async () => {
    await apply([{ path: 'a/b', type: 'file', data: '1' }, { path: 'c', type: 'file', data: '2' }]);
    await apply([{ path: 'a', type: 'file', data: 'now a file' }, { path: 'c/', type: 'directory' }, { path: 'c/d', type: 'file', data: '3' }]);
    expect(readFileSync(join(root, 'a'), 'utf8')).toBe('now a file');
    expect(readFileSync(join(root, 'c/d'), 'utf8')).toBe('3');
    // no implicit directory is made over an existing file
    await expect(apply([{ path: 'a/x', type: 'file', data: '4' }])).rejects.toThrow(/parent "a" is not a directory/);
  });

  it('applies whiteouts and opaque whiteouts onto the merged tree', async () => {
    await apply([
      { path: 'keep', type: 'file', data: 'k' },
      { path: 'gone', type: 'file', data: 'g' },
      { path: 'dir/old1', type: 'file', data: '1' },
      { path: 'dir/sub/old2', type: 'file', data: '2' },
    ]);
    await apply([
      { path: '.wh.gone', type: 'file' },
      { path: '.wh.never-existed', type: 'file' },
      { path: 'dir/', type: 'directory' },
      { path: 'dir/new', type: 'file', data: 'n' },
      { path: 'dir/.wh..wh..opq', type: 'file' },
    ]);
    expect(readdirSync(root).sort()).toEqual(['dir', 'keep']);
    expect(readdirSync(join(root, 'dir'))).toEqual(['new']);
  });

  it('records overlay whiteouts and works under a real overlay mount', async () => {
    const lower = join(base, 'lower');
    const upper = join(base, 'upper');
    mkdirSync(lower);
    mkdirSync(upper);
    await apply([
      { path: 'a', type: 'file', data: 'a' },
      { path: 'gone', type: 'file', data: 'g' },
      { path: 'dir/old', type: 'file', data: 'o' },
      { path: 'big', type: 'file', data: 'shared' },
    ], { whiteouts: 'overlay' }, lower);
    await apply([
      { path: '.wh.gone', type: 'file' },
      { path: 'dir/.wh..wh..opq', type: 'file' },
      { path: 'dir/new', type: 'file', data: 'n' },
      { path: 'big-link', type: 'hardlink', linkname: 'big' },
    ], { whiteouts: 'overlay', lowerDirs: [lower] }, upper);
    const wh = lstatSync(join(upper, 'gone'));
    expect(wh.isCharacterDevice() && wh.rdev === 0).toBe(true);
    expect(execFileSync('getfattr', ['--absolute-names', '--only-values', '-n', 'trusted.overlay.opaque', join(upper, 'dir')]).toString()).toBe('y');
    expect(readFileSync(join(upper, 'big-link'), 'utf8')).toBe('shared');
    const merged = join(base, 'merged');
    mkdirSync(merged);
    execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${upper}:${lower}`, merged]);
    expect(readdirSync(merged).sort()).toEqual(['a', 'big', 'big-link', 'dir']);
    expect(readdirSync(join(merged, 'dir'))).toEqual(['new']);
  });

  it('overlay mode refuses to hide a lower layer symlink behind an implicit directory', async () => {
    const lower = join(base, 'lower');
    mkdirSync(lower);
    await apply([{ path: 'usr/lib/', type: 'directory' }, { path: 'lib', type: 'symlink', linkname: 'usr/lib' }], { whiteouts: 'overlay' }, lower);
    const upper = join(base, 'upper');
    mkdirSync(upper);
    await expect(apply([{ path: 'lib/libx.so', type: 'file', data: 'x' }], { whiteouts: 'overlay', lowerDirs: [lower] }, upper))
      .rejects.toThrow(/parent "lib" is a symlink in a lower layer/);
    // An explicit directory entry replaces the symlink on purpose, and a path the lower layers lack is fine.
    const upper2 = join(base, 'upper2');
    mkdirSync(upper2);
    await apply([{ path: 'lib/', type: 'directory' }, { path: 'lib/libx.so', type: 'file', data: 'x' }, { path: 'opt/new', type: 'file', data: 'y' }], { whiteouts: 'overlay', lowerDirs: async () => [lower] }, upper2);
    expect(readFileSync(join(upper2, 'lib/libx.so'), 'utf8')).toBe('x');
  });

  describe('refuses malicious layers and writes nothing outside the root', () => {
    const cases: Array<[string, TarWriteEntry[], RegExp]> = [
      ['a ../ path', [{ path: '../outside/secret', type: 'file', data: 'pwned' }], /"\.\." would escape/],
      ['a ../ path in the middle', [{ path: 'a/../../outside/new', type: 'file', data: 'pwned' }], /"\.\." would escape/],
      ['an absolute path', [{ path: '/tmp/pwned', type: 'file', data: 'pwned' }], /absolute paths/],
      ['a write through a symlink to outside', [
        { path: 'evil', type: 'symlink', linkname: '' },
        { path: 'evil/secret', type: 'file', data: 'pwned' },
      ], /parent "evil" is a symlink/],
      ['a directory entry through a symlink', [
        { path: 'evil', type: 'symlink', linkname: '' },
        { path: 'evil/newdir/', type: 'directory' },
      ], /parent "evil" is a symlink/],
      ['a hardlink to an outside file', [{ path: 'h', type: 'hardlink', linkname: '../outside/secret' }], /hardlink target .*"\.\." would escape/],
      ['a hardlink to an absolute path', [{ path: 'h', type: 'hardlink', linkname: '/etc/passwd' }], /absolute paths/],
      ['a hardlink through a symlink', [
        { path: 'evil', type: 'symlink', linkname: '' },
        { path: 'h', type: 'hardlink', linkname: 'evil/secret' },
      ], /parent "evil" is a symlink/],
      ['a hardlink to a directory', [{ path: 'd/', type: 'directory' }, { path: 'h', type: 'hardlink', linkname: 'd' }], /hardlink target "d" is a directory/],
      ['a whiteout of ..', [{ path: '.wh...', type: 'file' }], /whiteout of "\.\."/],
      ['a whiteout of .', [{ path: 'sub/.wh..', type: 'file' }], /whiteout of "\."/],
      ['a whiteout through a symlink', [
        { path: 'evil', type: 'symlink', linkname: '' },
        { path: 'evil/.wh.secret', type: 'file' },
      ], /parent "evil" is a symlink/],
      ['a symlink named .', [{ path: '.', type: 'symlink', linkname: '' }], /root can only be a directory/],
      ['a symlink named ./.', [{ path: 'a/.', type: 'symlink', linkname: '' }], /"\." is only allowed/],
    ];
    it.each(cases)('%s', async (_name, entries, message) => {
      const fixed = entries.map((e) => (e.linkname === '' ? { ...e, linkname: outside } : e));
      const err = await apply(fixed).then(() => undefined, (e: unknown) => e);
      expect(isImageStoreError(err, 'LAYER_UNSAFE_PATH'), String(err)).toBe(true);
      expect((err as Error).message).toMatch(message);
      outsideUntouched();
      expect(existsSync('/tmp/pwned')).toBe(false);
    });

    it('replaces a symlink planted by an earlier layer instead of writing through it', async () => {
      await apply([{ path: 'secret', type: 'symlink', linkname: join(outside, 'secret') }]);
      await apply([{ path: 'secret', type: 'file', data: 'mine' }]);
      expect(readFileSync(join(root, 'secret'), 'utf8')).toBe('mine');
      outsideUntouched();
    });
  });

  it('hardlinks: a new name, a name that exists (replaced), the same name (kept), a target that is missing', async () => {
    await apply([
      { path: 'bin/tool', type: 'file', data: 'tool' },
      { path: 'bin/a', type: 'hardlink', linkname: 'bin/tool' },
      { path: 'bin/b', type: 'file', data: 'old b' },
      { path: 'bin/b', type: 'hardlink', linkname: 'bin/tool' },
      { path: 'bin/tool', type: 'hardlink', linkname: 'bin/tool' },
    ]);
    for (const name of ['a', 'b']) expect(lstatSync(join(root, 'bin', name)).ino).toBe(lstatSync(join(root, 'bin/tool')).ino);
    expect(lstatSync(join(root, 'bin/tool')).nlink).toBe(3);
    await expect(apply([{ path: 'c', type: 'hardlink', linkname: 'bin/missing' }])).rejects.toThrow(/hardlink target "bin\/missing" does not exist/);
  });

  it('reports a file the writer threads could not create', async () => {
    const ro = join(base, 'ro');
    mkdirSync(ro);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'shimkit-test', ro]);
    try {
      const err = await apply([{ path: 'a', type: 'file', data: 'small' }, { path: 'b', type: 'file', data: 'small' }], {}, ro).catch((e: unknown) => e);
      expect(isImageStoreError(err, 'LAYER_APPLY_FAILED')).toBe(true);
      expect((err as Error).message).toMatch(/writing .*\/a: EROFS/);
    } finally {
      execFileSync('umount', [ro]);
    }
  });

  it('stops at an aborted signal', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(apply([{ path: 'a', type: 'file', data: 'x' }], { signal: ac.signal })).rejects.toSatisfy((e) => isImageStoreError(e, 'ABORTED'));
    expect(readdirSync(root)).toEqual([]);
  });
});

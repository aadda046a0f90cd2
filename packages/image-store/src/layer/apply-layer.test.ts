import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostHelper } from '@shimkit/host-helper';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isImageStoreError } from '../errors.js';
import type { TarWriteEntry } from '../tar/tar-writer.js';
import { buildTar } from '../tar/tar-writer.js';
import type { ApplyLayerOptions, WhiteoutMode } from './apply-layer.js';
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
  utimesSync(join(outside, 'secret'), 1000, 1000);
  utimesSync(outside, 1000, 1000);
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

/** Everything in `outside` is as the test left it, and nothing was made beside it and the root. */
function outsideUntouched(): void {
  expect(readdirSync(outside)).toEqual(['secret']);
  expect(readFileSync(join(outside, 'secret'), 'utf8')).toBe('original');
  expect([lstatSync(outside).mtimeMs, lstatSync(join(outside, 'secret')).mtimeMs]).toEqual([1_000_000, 1_000_000]);
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

  it('overlay mode writes below a lower layer symlink at its target, and an explicit directory entry replaces the link', async () => {
    const lower = join(base, 'lower');
    mkdirSync(lower);
    await apply([{ path: 'usr/lib/', type: 'directory' }, { path: 'lib', type: 'symlink', linkname: 'usr/lib' }], { whiteouts: 'overlay' }, lower);
    const upper = join(base, 'upper');
    mkdirSync(upper);
    await apply([{ path: 'lib/libx.so', type: 'file', data: 'x' }], { whiteouts: 'overlay', lowerDirs: [lower] }, upper);
    expect(readdirSync(upper)).toEqual(['usr']);
    expect(readFileSync(join(upper, 'usr/lib/libx.so'), 'utf8')).toBe('x');
    const upper2 = join(base, 'upper2');
    mkdirSync(upper2);
    await apply([{ path: 'lib/', type: 'directory' }, { path: 'lib/libx.so', type: 'file', data: 'x' }, { path: 'opt/new', type: 'file', data: 'y' }], { whiteouts: 'overlay', lowerDirs: async () => [lower] }, upper2);
    expect(lstatSync(join(upper2, 'lib')).isDirectory()).toBe(true);
    expect(readFileSync(join(upper2, 'lib/libx.so'), 'utf8')).toBe('x');
    expect(readdirSync(upper2).sort()).toEqual(['lib', 'opt']);
  });

  describe('refuses malicious layers and writes nothing outside the root', () => {
    const cases: Array<[string, TarWriteEntry[], RegExp]> = [
      ['a ../ path', [{ path: '../outside/secret', type: 'file', data: 'pwned' }], /"\.\." would escape/],
      ['a ../ path in the middle', [{ path: 'a/../../outside/new', type: 'file', data: 'pwned' }], /"\.\." would escape/],
      ['an absolute path', [{ path: '/tmp/pwned', type: 'file', data: 'pwned' }], /absolute paths/],
      ['a hardlink to an outside file', [{ path: 'h', type: 'hardlink', linkname: '../outside/secret' }], /hardlink target .*"\.\." would escape/],
      ['a hardlink to an absolute path', [{ path: 'h', type: 'hardlink', linkname: '/etc/passwd' }], /absolute paths/],
      ['a hardlink to a directory', [{ path: 'd/', type: 'directory' }, { path: 'h', type: 'hardlink', linkname: 'd' }], /hardlink target "d" is a directory/],
      ['a whiteout of ..', [{ path: '.wh...', type: 'file' }], /whiteout of "\.\."/],
      ['a whiteout of .', [{ path: 'sub/.wh..', type: 'file' }], /whiteout of "\."/],
      ['a symlink named .', [{ path: '.', type: 'symlink', linkname: '' }], /root can only be a directory/],
      ['a symlink named ./.', [{ path: 'a/.', type: 'symlink', linkname: '' }], /"\." is only allowed/],
      ['a symlink loop on the path', [
        { path: 'a', type: 'symlink', linkname: 'b' },
        { path: 'b', type: 'symlink', linkname: 'a' },
        { path: 'a/x', type: 'file', data: 'pwned' },
      ], /^layer entry "a\/x" refused: more than 40 symlinks on its path \(a loop\?\)/],
      ['a hardlink target in a symlink loop', [
        { path: 'a', type: 'symlink', linkname: '/a' },
        { path: 'h', type: 'hardlink', linkname: 'a/secret' },
      ], /^layer entry "h" refused: more than 40 symlinks/],
    ];
    it.each(cases)('%s', async (_name, entries, message) => {
      const fixed = entries.map((e) => (e.linkname === '' ? { ...e, linkname: outside } : e));
      const err = await apply(fixed).then(() => undefined, (e: unknown) => e);
      expect(isImageStoreError(err, 'LAYER_UNSAFE_PATH'), String(err)).toBe(true);
      expect((err as Error).message).toMatch(message);
      outsideUntouched();
      expect(existsSync('/tmp/pwned')).toBe(false);
    });

    it('never sets the times of a directory once a symlink has replaced a directory above it', async () => {
      await apply([
        { path: 'x/', type: 'directory' },
        { path: 'x/outside/', type: 'directory', mtime: 5 },
        { path: 'x', type: 'symlink', linkname: base },
      ]);
      expect(readlinkSync(join(root, 'x'))).toBe(base);
      outsideUntouched();
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

describe.each(['delete', 'overlay'] as const)('applyLayer in %s mode resolves paths through symlinks inside the root', (mode: WhiteoutMode) => {
  /** Overlay mode: the directory of layer `i` (0 the bottom). */
  const layerDir = (i: number) => join(root, `layer${i}`);
  /** Overlay mode: the directories below layer `i`, topmost first. */
  const lowersOf = (i: number) => Array.from({ length: i }, (_, j) => layerDir(i - 1 - j));

  /**
   * Applies `layers` (bottom first) as the snapshots of one image are: in delete mode all onto
   * root; in overlay mode each into a directory of its own under root, over the ones before it.
   * Returns the directory the last layer was applied to.
   */
  async function applyStack(layers: TarWriteEntry[][]): Promise<string> {
    if (mode === 'delete') {
      for (const entries of layers) await apply(entries);
      return root;
    }
    for (const [i, entries] of layers.entries()) {
      mkdirSync(layerDir(i));
      await apply(entries, { whiteouts: 'overlay', lowerDirs: lowersOf(i) }, layerDir(i));
    }
    return layerDir(layers.length - 1);
  }

  /** The image's tree: root itself, or the overlay of the `count` layers mounted read-only at base/merged. */
  function mergedTree(count: number): string {
    if (mode === 'delete') return root;
    const dir = join(base, 'merged');
    mkdirSync(dir);
    execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lowersOf(count).join(':')}`, dir]);
    return dir;
  }

  const isWhiteout = (path: string) => {
    const st = lstatSync(path);
    return st.isCharacterDevice() && st.rdev === 0;
  };

  const usrmerge: TarWriteEntry[] = [
    { path: 'usr/', type: 'directory', mode: 0o755, mtime: 1000 },
    { path: 'usr/bin/', type: 'directory', mode: 0o750, uid: 3, gid: 4, mtime: 2000 },
    { path: 'usr/bin/sh', type: 'file', data: 'shell' },
    { path: 'bin', type: 'symlink', linkname: 'usr/bin' },
  ];

  describe('legitimate stacks', () => {
    it('usrmerge: bin/tool over bin -> usr/bin is written in usr/bin', async () => {
      const top = await applyStack([usrmerge, [{ path: 'bin/tool', type: 'file', data: 'tool' }]]);
      expect(readFileSync(join(top, 'usr/bin/tool'), 'utf8')).toBe('tool');
      if (mode === 'overlay') {
        // only the resolved path in this layer; usr and usr/bin copied up with their metadata
        expect(readdirSync(top)).toEqual(['usr']);
        const bin = lstatSync(join(top, 'usr/bin'));
        expect([bin.mode & 0o7777, bin.uid, bin.gid, bin.mtimeMs]).toEqual([0o750, 3, 4, 2_000_000]);
        expect(lstatSync(join(top, 'usr')).mtimeMs).toBe(1_000_000);
      }
      outsideUntouched();
      const merged = mergedTree(2);
      expect(readlinkSync(join(merged, 'bin'))).toBe('usr/bin');
      expect(readdirSync(join(merged, 'usr/bin')).sort()).toEqual(['sh', 'tool']);
      const bin = lstatSync(join(merged, 'usr/bin'));
      expect([bin.mode & 0o7777, bin.uid, bin.gid]).toEqual([0o750, 3, 4]);
      if (mode === 'overlay') expect([bin.mtimeMs, lstatSync(join(merged, 'usr')).mtimeMs]).toEqual([2_000_000, 1_000_000]);
    });

    it('an absolute link (link -> /opt/real) is taken inside the root', async () => {
      const top = await applyStack([
        [{ path: 'opt/real/', type: 'directory' }, { path: 'link', type: 'symlink', linkname: '/opt/real' }],
        [{ path: 'link/file', type: 'file', data: 'f' }, { path: 'link/sub/', type: 'directory' }, { path: 'link/sub/deep', type: 'file', data: 'd' }],
      ]);
      expect(readFileSync(join(top, 'opt/real/file'), 'utf8')).toBe('f');
      expect(readFileSync(join(top, 'opt/real/sub/deep'), 'utf8')).toBe('d');
      if (mode === 'overlay') expect(readdirSync(top)).toEqual(['opt']);
      outsideUntouched();
      const merged = mergedTree(2);
      expect(readlinkSync(join(merged, 'link'))).toBe('/opt/real');
      expect(readdirSync(join(merged, 'opt/real')).sort()).toEqual(['file', 'sub']);
    });

    it('chains of relative links (a -> b, b -> c/d) and ".." inside the root', async () => {
      const top = await applyStack([
        [
          { path: 'c/d/', type: 'directory' },
          { path: 'b', type: 'symlink', linkname: 'c/d' },
          { path: 'a', type: 'symlink', linkname: 'b' },
          { path: 'x/', type: 'directory' },
          { path: 'y/', type: 'directory' },
          { path: 'x/up', type: 'symlink', linkname: '../y' },
        ],
        [
          { path: 'a/f', type: 'file', data: 'through a and b' },
          { path: 'x/up/g', type: 'file', data: 'through x/up' },
        ],
      ]);
      expect(readFileSync(join(top, 'c/d/f'), 'utf8')).toBe('through a and b');
      expect(readFileSync(join(top, 'y/g'), 'utf8')).toBe('through x/up');
      if (mode === 'overlay') expect(readdirSync(top).sort()).toEqual(['c', 'y']);
      outsideUntouched();
      const merged = mergedTree(2);
      expect([readlinkSync(join(merged, 'a')), readlinkSync(join(merged, 'b')), readlinkSync(join(merged, 'x/up'))]).toEqual(['b', 'c/d', '../y']);
      expect(readdirSync(join(merged, 'c/d'))).toEqual(['f']);
      expect(readdirSync(join(merged, 'y'))).toEqual(['g']);
    });

    it('a whiteout through a link removes the path at the link target', async () => {
      const top = await applyStack([
        [...usrmerge, { path: 'usr/bin/tool', type: 'file', data: 'tool' }],
        [{ path: 'bin/.wh.tool', type: 'file' }],
      ]);
      if (mode === 'overlay') {
        expect(readdirSync(top)).toEqual(['usr']);
        expect(isWhiteout(join(top, 'usr/bin/tool'))).toBe(true);
      }
      outsideUntouched();
      const merged = mergedTree(2);
      expect(readdirSync(join(merged, 'usr/bin'))).toEqual(['sh']);
      expect(readlinkSync(join(merged, 'bin'))).toBe('usr/bin');
    });

    it('an opaque marker under a linked directory makes the link target opaque', async () => {
      const top = await applyStack([
        [{ path: 'usr/lib/a', type: 'file', data: 'a' }, { path: 'usr/lib/b', type: 'file', data: 'b' }, { path: 'lib', type: 'symlink', linkname: 'usr/lib' }],
        [{ path: 'lib/.wh..wh..opq', type: 'file' }, { path: 'lib/c', type: 'file', data: 'c' }],
      ]);
      if (mode === 'overlay') {
        expect(readdirSync(top)).toEqual(['usr']);
        expect(xattrBytes(join(top, 'usr/lib'), 'trusted.overlay.opaque')).toEqual([...Buffer.from('y')]);
      }
      outsideUntouched();
      const merged = mergedTree(2);
      expect(readdirSync(join(merged, 'usr/lib'))).toEqual(['c']);
      expect(readlinkSync(join(merged, 'lib'))).toBe('usr/lib');
    });

    it('a hardlink whose target goes through a link', async () => {
      const top = await applyStack([
        usrmerge,
        [
          { path: 'sbin/sh', type: 'hardlink', linkname: 'bin/sh' },
          { path: 'bin/new', type: 'file', data: 'new' },
          { path: 'sbin/new', type: 'hardlink', linkname: 'bin/new' },
        ],
      ]);
      expect(readFileSync(join(top, 'sbin/sh'), 'utf8')).toBe('shell');
      expect(lstatSync(join(top, 'sbin/new')).ino).toBe(lstatSync(join(top, 'usr/bin/new')).ino);
      // in delete mode the same file; in overlay mode a copy of the lower layer's
      if (mode === 'delete') expect(lstatSync(join(top, 'sbin/sh')).ino).toBe(lstatSync(join(top, 'usr/bin/sh')).ino);
      outsideUntouched();
      const merged = mergedTree(2);
      expect(readFileSync(join(merged, 'sbin/sh'), 'utf8')).toBe('shell');
      expect(readdirSync(join(merged, 'usr/bin')).sort()).toEqual(['new', 'sh']);
    });

    it('an entry that replaces a link (or a directory) changes where the later entries go', async () => {
      const top = await applyStack([
        usrmerge,
        [
          { path: 'bin/tool', type: 'file', data: 'tool' },
          { path: 'bin/', type: 'directory' },
          { path: 'bin/own', type: 'file', data: 'own' },
        ],
      ]);
      expect(readdirSync(join(top, 'bin'))).toEqual(['own']);
      outsideUntouched();
      const merged = mergedTree(2);
      expect(readdirSync(join(merged, 'bin'))).toEqual(['own']);
      expect(readdirSync(join(merged, 'usr/bin')).sort()).toEqual(['sh', 'tool']);
    });

    it('a hardlink over a directory a path went through: that path is no parent any more', async () => {
      const err = await applyStack([
        [{ path: 'x/f', type: 'file', data: 'f' }],
        [{ path: 'h1', type: 'hardlink', linkname: 'x/f' }, { path: 'x', type: 'hardlink', linkname: 'h1' }, { path: 'x/g', type: 'file', data: 'g' }],
      ]).catch((e: unknown) => e);
      expect(isImageStoreError(err, 'LAYER_UNSAFE_PATH'), String(err)).toBe(true);
      expect((err as Error).message).toBe('layer entry "x/g" refused: its parent "x" is not a directory');
    });

    it('an opaque marker hides the lower links from the entries after it in the same layer', async () => {
      const top = await applyStack([
        [{ path: 'opt/a/', type: 'directory' }, { path: 'etc/alt', type: 'symlink', linkname: '/opt/a' }],
        [{ path: 'etc/x', type: 'file', data: 'x' }, { path: 'etc/.wh..wh..opq', type: 'file' }, { path: 'etc/alt/f', type: 'file', data: 'f' }],
      ]);
      expect(readFileSync(join(top, 'etc/alt/f'), 'utf8')).toBe('f');
      outsideUntouched();
      const merged = mergedTree(2);
      expect(readdirSync(join(merged, 'etc')).sort()).toEqual(['alt', 'x']);
      expect(lstatSync(join(merged, 'etc/alt')).isDirectory()).toBe(true);
      expect(readdirSync(join(merged, 'opt/a'))).toEqual([]);
    });

    it('an opaque directory or a whiteout of a lower layer hides the links below it', async () => {
      const top = await applyStack([
        [
          { path: 'opt/a/', type: 'directory' },
          { path: 'etc/alt', type: 'symlink', linkname: '/opt/a' },
          { path: 'usr/bin/', type: 'directory' },
          { path: 'bin', type: 'symlink', linkname: 'usr/bin' },
        ],
        [{ path: 'etc/', type: 'directory' }, { path: 'etc/.wh..wh..opq', type: 'file' }, { path: '.wh.bin', type: 'file' }],
        [{ path: 'etc/alt/f', type: 'file', data: 'f' }, { path: 'bin/tool', type: 'file', data: 'tool' }],
      ]);
      expect(readFileSync(join(top, 'etc/alt/f'), 'utf8')).toBe('f');
      expect(readFileSync(join(top, 'bin/tool'), 'utf8')).toBe('tool');
      if (mode === 'overlay') expect(readdirSync(top).sort()).toEqual(['bin', 'etc']);
      outsideUntouched();
      const merged = mergedTree(3);
      expect(lstatSync(join(merged, 'etc/alt')).isDirectory()).toBe(true);
      expect(lstatSync(join(merged, 'bin')).isDirectory()).toBe(true);
      expect([readdirSync(join(merged, 'opt/a')), readdirSync(join(merged, 'usr/bin'))]).toEqual([[], []]);
    });
  });

  describe('hostile stacks stay inside the root', () => {
    /** Where an absolute host path lands inside the layer directory `top`. */
    const inside = (top: string, path: string) => join(top, path);

    it('evil -> ../../.. then evil/file', async () => {
      const top = await applyStack([[{ path: 'evil', type: 'symlink', linkname: '../../..' }], [{ path: 'evil/file', type: 'file', data: 'x' }]]);
      expect(readFileSync(join(top, 'file'), 'utf8')).toBe('x');
      outsideUntouched();
    });

    it('evil -> / then evil/etc/passwd lands at the root\'s etc/passwd', async () => {
      const passwd = readFileSync('/etc/passwd');
      const top = await applyStack([[{ path: 'evil', type: 'symlink', linkname: '/' }], [{ path: 'evil/etc/passwd', type: 'file', data: 'pwned' }]]);
      expect(readFileSync(join(top, 'etc/passwd'), 'utf8')).toBe('pwned');
      expect(readFileSync('/etc/passwd')).toEqual(passwd);
      outsideUntouched();
    });

    it('a link to the host path of outside, then writes, a directory and a whiteout below it', async () => {
      const top = await applyStack([
        [{ path: 'esc', type: 'symlink', linkname: outside }],
        [
          { path: 'esc/x', type: 'file', data: 'x' },
          { path: 'esc/secret', type: 'file', data: 'pwned' },
          { path: 'esc/newdir/', type: 'directory' },
        ],
        [{ path: 'esc/.wh.secret', type: 'file' }],
      ]);
      // in overlay mode the writes are in the second layer, the whiteout in the third
      const writes = mode === 'overlay' ? layerDir(1) : top;
      expect(readFileSync(inside(writes, join(outside, 'x')), 'utf8')).toBe('x');
      expect(readdirSync(inside(writes, outside)).sort()).toEqual(mode === 'overlay' ? ['newdir', 'secret', 'x'] : ['newdir', 'x']);
      if (mode === 'overlay') expect(isWhiteout(inside(top, join(outside, 'secret')))).toBe(true);
      outsideUntouched();
      if (mode === 'overlay') expect(readdirSync(join(mergedTree(3), outside)).sort()).toEqual(['newdir', 'x']);
    });

    it('a whiteout through a link to outside removes nothing there', async () => {
      const top = await applyStack([[{ path: 'evil', type: 'symlink', linkname: outside }], [{ path: 'evil/.wh.secret', type: 'file' }]]);
      if (mode === 'overlay') expect(isWhiteout(inside(top, join(outside, 'secret')))).toBe(true);
      else expect(existsSync(inside(top, outside))).toBe(false);
      outsideUntouched();
    });

    it('a symlink loop is refused, naming the entry', async () => {
      const err = await applyStack([
        [{ path: 'a', type: 'symlink', linkname: 'b' }, { path: 'b', type: 'symlink', linkname: 'a' }],
        [{ path: 'a/x', type: 'file', data: 'x' }],
      ]).catch((e: unknown) => e);
      expect(isImageStoreError(err, 'LAYER_UNSAFE_PATH'), String(err)).toBe(true);
      expect((err as Error).message).toMatch(/^layer entry "a\/x" refused: more than 40 symlinks on its path \(a loop\?\)/);
      outsideUntouched();
    });

    it('a directory replaced by a link to outside in a later layer', async () => {
      const top = await applyStack([
        [{ path: 'd/', type: 'directory' }, { path: 'd/keep', type: 'file', data: 'k' }],
        [{ path: 'd', type: 'symlink', linkname: outside }],
        [{ path: 'd/f', type: 'file', data: 'f' }, { path: 'd/secret', type: 'file', data: 'pwned' }],
      ]);
      expect(readdirSync(inside(top, outside)).sort()).toEqual(['f', 'secret']);
      outsideUntouched();
      if (mode === 'overlay') {
        const merged = mergedTree(3);
        expect(readlinkSync(join(merged, 'd'))).toBe(outside);
        expect(readdirSync(join(merged, outside)).sort()).toEqual(['f', 'secret']);
      }
    });

    it('a link made and used in the same layer', async () => {
      const top = await applyStack([[
        { path: 'l', type: 'symlink', linkname: outside },
        { path: 'l/secret', type: 'file', data: 'pwned' },
        { path: 'l/new/x', type: 'file', data: 'x' },
        { path: 'up', type: 'symlink', linkname: '../../../..' },
        { path: 'up/outside/secret', type: 'file', data: 'pwned' },
      ]]);
      expect(readFileSync(inside(top, join(outside, 'secret')), 'utf8')).toBe('pwned');
      expect(readFileSync(inside(top, join(outside, 'new/x')), 'utf8')).toBe('x');
      expect(readFileSync(join(top, 'outside/secret'), 'utf8')).toBe('pwned');
      outsideUntouched();
    });

    it('a hardlink through a link to outside finds nothing there', async () => {
      const err = await applyStack([
        [{ path: 'evil', type: 'symlink', linkname: outside }],
        [{ path: 'h', type: 'hardlink', linkname: 'evil/secret' }],
      ]).catch((e: unknown) => e);
      expect(isImageStoreError(err, 'LAYER_APPLY_FAILED'), String(err)).toBe(true);
      expect((err as Error).message).toBe('layer entry "h": hardlink target "evil/secret" does not exist');
      outsideUntouched();
      // with a file of that name inside the root, the link is to that one
      rmSync(root, { recursive: true });
      mkdirSync(root);
      const top = await applyStack([
        [{ path: 'evil', type: 'symlink', linkname: outside }, { path: `${outside.slice(1)}/secret`, type: 'file', data: 'inside' }],
        [{ path: 'h', type: 'hardlink', linkname: 'evil/secret' }],
      ]);
      expect(readFileSync(join(top, 'h'), 'utf8')).toBe('inside');
      outsideUntouched();
    });
  });

  it('into an empty directory, knows without looking what the layer itself made there', async () => {
    // The first layer starts empty in both modes: entries meet directories made implicitly, an
    // explicit directory over one, a link over a directory, and a name given twice.
    const top = await applyStack([[
      { path: 'a/b/f', type: 'file', data: 'f' },
      { path: 'a/', type: 'directory', mode: 0o711, mtime: 3000 },
      { path: 'a/b', type: 'symlink', linkname: '../elsewhere' },
      { path: 'c', type: 'file', data: 'first' },
      { path: 'c', type: 'file', data: 'second' },
      { path: 'd/e/', type: 'directory', mode: 0o700 },
      { path: 'd/e', type: 'file', data: 'was a directory' },
    ]]);
    expect(lstatSync(join(top, 'a')).mode & 0o7777).toBe(0o711);
    expect(lstatSync(join(top, 'a')).mtimeMs).toBe(3_000_000);
    expect(readlinkSync(join(top, 'a/b'))).toBe('../elsewhere');
    expect(readFileSync(join(top, 'c'), 'utf8')).toBe('second');
    expect(readFileSync(join(top, 'd/e'), 'utf8')).toBe('was a directory');
    outsideUntouched();
  });

  describe('small files written in the background', () => {
    it('a small file through a link waits for one still being written at the same resolved path', async () => {
      const top = await applyStack([usrmerge, [{ path: 'usr/bin/x', type: 'file', data: 'one' }, { path: 'bin/x', type: 'file', data: 'two' }]]);
      expect(readFileSync(join(top, 'usr/bin/x'), 'utf8')).toBe('two');
    });

    it('a small file replacing a directory waits for the files being written in it', async () => {
      const top = await applyStack([[{ path: 'keep', type: 'file', data: 'k' }], [{ path: 'd/a', type: 'file', data: 'a' }, { path: 'd/b', type: 'file', data: 'b' }, { path: 'd', type: 'file', data: 'now a file' }]]);
      expect(readFileSync(join(top, 'd'), 'utf8')).toBe('now a file');
    });

    it('a parent that a small file still being written will be is not a directory', async () => {
      const err = await applyStack([[{ path: 'keep', type: 'file', data: 'k' }], [{ path: 'a', type: 'file', data: 'a' }, { path: 'a/x', type: 'file', data: 'x' }]]).catch((e: unknown) => e);
      expect(isImageStoreError(err, 'LAYER_UNSAFE_PATH'), String(err)).toBe(true);
      expect((err as Error).message).toBe('layer entry "a/x" refused: its parent "a" is not a directory');
    });
  });
});

import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync, chmodSync, chownSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostHelper } from '@shimkit/host-helper';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OverlayTreeOptions } from './overlay-tree.js';
import { OverlayTree } from './overlay-tree.js';

const helper = new HostHelper();
afterAll(() => helper.close());

let base: string;
let upper: string;
/** Lower layer directories, topmost first. */
let lowers: string[];
let xattrReads: string[];

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), `shimkit-overlay-tree-${process.pid}-`));
  upper = join(base, 'upper');
  lowers = [join(base, 'lower1'), join(base, 'lower2'), join(base, 'lower3')];
  for (const d of [upper, ...lowers]) mkdirSync(d);
  xattrReads = [];
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

function tree(options: Partial<OverlayTreeOptions> = {}): OverlayTree {
  return new OverlayTree(upper, {
    lowerDirs: lowers,
    ownership: true,
    getXattr: (path, name) => {
      xattrReads.push(path.slice(base.length + 1));
      return helper.getXattr(path, name);
    },
    setXattr: (path, name, value) => helper.setXattr(path, name, value),
    ...options,
  });
}

/** Makes `spec` in `dir`: "d/" a directory, "l -> t" a symlink, "w!" a whiteout, "o/*" an opaque directory, else a file. */
function layer(dir: string, spec: string[]): void {
  for (const line of spec) {
    const [path, target] = line.split(' -> ') as [string, string | undefined];
    const at = join(dir, path.replace(/[/!*]+$/, ''));
    mkdirSync(join(at, '..'), { recursive: true });
    if (target !== undefined) symlinkSync(target, at);
    else if (path.endsWith('!')) execFileSync('mknod', [at, 'c', '0', '0']);
    else if (path.endsWith('/*')) {
      mkdirSync(at, { recursive: true });
      execFileSync('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', at]);
    } else if (path.endsWith('/')) mkdirSync(at, { recursive: true });
    else writeFileSync(at, path);
  }
}

describe('OverlayTree', () => {
  it('looks a name up in this layer first, then in the lower ones topmost first', async () => {
    layer(upper, ['etc/', 'etc/hosts']);
    layer(lowers[0]!, ['etc/', 'bin -> usr/bin', 'usr/']);
    layer(lowers[1]!, ['bin/', 'lib -> usr/lib', 'usr/', 'usr/bin/']);
    const t = tree();
    expect(await t.lookup('etc')).toEqual({ kind: 'directory' });
    expect(await t.lookup('etc/hosts')).toEqual({ kind: 'other' });
    // the topmost one wins, a symlink over a directory too
    expect(await t.lookup('bin')).toEqual({ kind: 'symlink', target: 'usr/bin' });
    expect(await t.lookup('lib')).toEqual({ kind: 'symlink', target: 'usr/lib' });
    // a directory merges with the ones below it
    expect(await t.lookup('usr/bin')).toEqual({ kind: 'directory' });
    expect(await t.lookup('usr/sbin')).toEqual({ kind: 'missing' });
    expect(t.cached('bin')).toEqual({ kind: 'symlink', target: 'usr/bin' });
    expect(t.cached('usr')).toEqual({ kind: 'directory' });
    expect(t.cached('etc/hosts')).toBeUndefined();
  });

  it('reads no lower layer while this one has the name, and no opaque flag while the first layer holding a directory has the child', async () => {
    layer(upper, ['a/', 'a/b/']);
    layer(lowers[0]!, ['c/', 'c/d/']);
    layer(lowers[1]!, ['c/', 'c/e/']);
    let asked = 0;
    const t = tree({ lowerDirs: async () => (asked++, lowers) });
    expect(await t.lookup('a')).toEqual({ kind: 'directory' });
    expect(await t.lookup('a/b')).toEqual({ kind: 'directory' });
    expect(asked).toBe(0);
    expect(await t.lookup('c')).toEqual({ kind: 'directory' });
    expect(await t.lookup('c/d')).toEqual({ kind: 'directory' });
    expect([asked, xattrReads]).toEqual([1, []]);
    // past lower1's c, whose opaque flag is read once
    expect(await t.lookup('c/e')).toEqual({ kind: 'directory' });
    expect(await t.lookup('c/f')).toEqual({ kind: 'missing' });
    expect(xattrReads).toEqual(['lower1/c', 'lower2/c']);
  });

  it('a whiteout hides the name in the layers below it', async () => {
    layer(upper, ['gone!']);
    layer(lowers[0]!, ['bin!', 'dir/', 'dir/sub!']);
    layer(lowers[1]!, ['gone -> /x', 'bin -> usr/bin', 'dir/', 'dir/sub -> /y']);
    const t = tree();
    expect(await t.lookup('gone')).toEqual({ kind: 'missing' });
    expect(await t.lookup('bin')).toEqual({ kind: 'missing' });
    expect(await t.lookup('dir/sub')).toEqual({ kind: 'missing' });
    expect(await t.find('gone')).toBeNull();
  });

  it('an opaque directory hides the directories of its path below it, except at the root', async () => {
    layer(upper, ['etc/*']);
    layer(lowers[0]!, ['usr/*', 'usr/lib/', 'etc/', 'etc/alt -> /x']);
    layer(lowers[1]!, ['usr/', 'usr/bin -> /outside', 'usr/lib/', 'usr/lib/old']);
    execFileSync('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', lowers[0]!]);
    layer(lowers[2]!, ['top-level']);
    const t = tree();
    expect(await t.lookup('etc')).toEqual({ kind: 'directory' });
    expect(await t.lookup('etc/alt')).toEqual({ kind: 'missing' });
    expect(await t.lookup('usr')).toEqual({ kind: 'directory' });
    expect(await t.lookup('usr/bin')).toEqual({ kind: 'missing' });
    expect(await t.lookup('usr/lib')).toEqual({ kind: 'directory' });
    expect(await t.find('usr/lib/old')).toBeNull();
    // lower1's root is opaque, but overlayfs does not honour that at the root
    expect(await t.lookup('top-level')).toEqual({ kind: 'other' });
  });

  it('a non-directory under a directory hides the directories below it', async () => {
    layer(upper, ['d/']);
    layer(lowers[0]!, ['d']);
    layer(lowers[1]!, ['d/', 'd/link -> /x']);
    const t = tree();
    expect(await t.lookup('d')).toEqual({ kind: 'directory' });
    expect(await t.lookup('d/link')).toEqual({ kind: 'missing' });
  });

  it('copies up directories with their mode, owner and times, and tells of each', async () => {
    layer(lowers[0]!, ['usr/', 'usr/bin/']);
    layer(lowers[1]!, ['usr/', 'usr/bin/', 'usr/bin/sh']);
    chmodSync(join(lowers[0]!, 'usr/bin'), 0o750);
    chownSync(join(lowers[0]!, 'usr/bin'), 7, 8);
    utimesSync(join(lowers[0]!, 'usr/bin'), 1000, 2000);
    utimesSync(join(lowers[0]!, 'usr'), 3000, 3000);
    const copied: Array<[string, number]> = [];
    const t = tree({ onCopyUp: (rel, mtime) => copied.push([rel, mtime]) });
    expect(await t.lookup('usr')).toEqual({ kind: 'directory' });
    expect(await t.lookup('usr/bin')).toEqual({ kind: 'directory' });
    await t.ownDirs('usr/bin');
    const st = lstatSync(join(upper, 'usr/bin'));
    expect([st.isDirectory(), st.mode & 0o7777, st.uid, st.gid, st.atimeMs, st.mtimeMs]).toEqual([true, 0o750, 7, 8, 1_000_000, 2_000_000]);
    expect(copied).toEqual([['usr', 3000], ['usr/bin', 2000]]);
    // now this layer's own: nothing more to copy, and the lower names still show through
    await t.ownDirs('usr/bin');
    expect(copied.length).toBe(2);
    expect(await t.find('usr/bin/sh')).toMatchObject({ path: join(lowers[1]!, 'usr/bin/sh'), own: false });
    writeFileSync(join(upper, 'usr/bin/mine'), '');
    expect(await t.find('usr/bin/mine')).toMatchObject({ path: join(upper, 'usr/bin/mine'), own: true });
  });

  it('makes a missing directory, opaque when it replaces a whiteout of this layer', async () => {
    layer(upper, ['gone!']);
    layer(lowers[0]!, ['gone/', 'gone/old', 'base/']);
    const t = tree();
    expect(await t.lookup('gone')).toEqual({ kind: 'missing' });
    await t.makeDir('gone');
    expect(lstatSync(join(upper, 'gone')).isDirectory()).toBe(true);
    expect(execFileSync('getfattr', ['--absolute-names', '--only-values', '-n', 'trusted.overlay.opaque', join(upper, 'gone')], { encoding: 'utf8' })).toBe('y');
    expect(await t.find('gone/old')).toBeNull();
    // below a lower layer's directory, which is copied up first
    await t.makeDir('base/new');
    expect(lstatSync(join(upper, 'base/new')).isDirectory()).toBe(true);
    expect(() => execFileSync('getfattr', ['--absolute-names', '-n', 'trusted.overlay.opaque', join(upper, 'base/new')], { stdio: 'pipe' })).toThrow();
  });

  it('forgets a path and what is below it', async () => {
    layer(lowers[0]!, ['usr/', 'usr/bin/', 'bin -> usr/bin']);
    const t = tree();
    expect(await t.lookup('bin')).toEqual({ kind: 'symlink', target: 'usr/bin' });
    expect(await t.lookup('usr')).toEqual({ kind: 'directory' });
    expect(await t.lookup('usr/bin')).toEqual({ kind: 'directory' });
    // this layer puts a directory over the link, and a file over usr
    mkdirSync(join(upper, 'bin'));
    writeFileSync(join(upper, 'usr'), '');
    t.forget('bin');
    t.forget('usr');
    expect([t.cached('bin'), t.cached('usr'), t.cached('usr/bin')]).toEqual([undefined, undefined, undefined]);
    expect(await t.lookup('bin')).toEqual({ kind: 'directory' });
    expect(await t.lookup('usr')).toEqual({ kind: 'other' });
    t.forget('');
    expect(t.cached('bin')).toBeUndefined();
    expect(t.cached('')).toEqual({ kind: 'directory' });
  });
});

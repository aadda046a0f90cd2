import { lstat, mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostHelper } from '@shimkit/host-helper';
import { asRoot } from '@shimkit/test-bed';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveSources } from './build-context.js';
import { copyIntoRoot, makeDirInRoot } from './copy-into-root.js';

let dir: string;
let root: string;
let context: string;
let helper: HostHelper;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'copy-into-root-test-'));
  root = join(dir, 'root');
  context = join(dir, 'context');
  await mkdir(root);
  await mkdir(join(context, 'tree/sub'), { recursive: true });
  await writeFile(join(context, 'file.txt'), 'file');
  await writeFile(join(context, 'tree/sub/deep'), 'deep');
  await symlink('sub/deep', join(context, 'tree/link'));
  helper = new HostHelper();
});

afterEach(async () => {
  await helper.close();
  await rm(dir, { recursive: true, force: true });
});

const sources = (pattern: string) => resolveSources(context, pattern, { what: 'COPY' });

describe('copyIntoRoot', asRoot('file owners and device nodes'), () => {
  it('copies a directory\'s contents, files into a directory destination, owner and mode as asked', async () => {
    await copyIntoRoot(root, await sources('tree'), { dest: '/app', destIsDir: false, owner: { uid: 3, gid: 4 }, helper });
    await copyIntoRoot(root, await sources('file.txt'), { dest: '/app/', destIsDir: true, mode: 0o600, helper });
    expect(await readFile(join(root, 'app/sub/deep'), 'utf8')).toBe('deep');
    expect(await readlink(join(root, 'app/link'))).toBe('sub/deep');
    const deep = await lstat(join(root, 'app/sub/deep'));
    expect([deep.uid, deep.gid]).toEqual([3, 4]);
    const file = await lstat(join(root, 'app/file.txt'));
    expect([file.uid, file.gid, file.mode & 0o7777]).toEqual([0, 0, 0o600]);
  });

  it('resolves the destination inside the root: an absolute symlink in the image does not lead out', async () => {
    const outside = join(dir, 'outside');
    await mkdir(outside);
    await symlink(outside, join(root, 'etc'));
    await copyIntoRoot(root, await sources('file.txt'), { dest: '/etc/conf', destIsDir: false, helper });
    await makeDirInRoot(root, '/etc/made');
    expect(await readFile(join(root, outside, 'conf'), 'utf8')).toBe('file');
    expect((await lstat(join(root, outside, 'made'))).isDirectory()).toBe(true);
    await expect(lstat(join(outside, 'conf'))).rejects.toThrow();
  });

  it('refuses to put a file over a directory', async () => {
    await mkdir(join(root, 'taken/file.txt'), { recursive: true });
    await expect(copyIntoRoot(root, await sources('file.txt'), { dest: '/taken/', destIsDir: true, helper })).rejects.toThrow(/over the directory/);
  });
});

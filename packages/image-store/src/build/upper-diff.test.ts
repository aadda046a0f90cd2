import { chmod, chown, link, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostHelper } from '@shimkit/host-helper';
import { asRoot } from '@shimkit/test-bed';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Mounter } from '../snapshot/mount.js';
import { isMountPoint } from '../snapshot/snapshot-store.js';
import type { TarEntry } from '../tar/tar-reader.js';
import { readTar } from '../tar/tar-reader.js';
import { diffUpperDir } from './upper-diff.js';

let dir: string;
let helper: HostHelper;
let mounter: Mounter;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'upper-diff-test-'));
  helper = new HostHelper();
  mounter = new Mounter(helper);
});

afterEach(async () => {
  if (await isMountPoint(join(dir, 'merged'))) await mounter.unmount(join(dir, 'merged'));
  await helper.close();
  await rm(dir, { recursive: true, force: true });
});

async function entries(upper: string): Promise<Map<string, TarEntry & { body: string }>> {
  const out = new Map<string, TarEntry & { body: string }>();
  for await (const { entry, body } of readTar(diffUpperDir(upper, { helper }))) {
    let text = '';
    for await (const chunk of body) text += chunk.toString('utf8');
    out.set(entry.path, { ...entry, body: text });
  }
  return out;
}

describe('diffUpperDir', asRoot('overlay mounts and whiteout devices'), () => {
  it('turns what changed on an overlay into layer entries: files, owners, links, whiteouts, opaque directories', async () => {
    for (const d of ['lower/keep', 'lower/gone', 'lower/replaced', 'upper', 'work', 'merged']) await mkdir(join(dir, d), { recursive: true });
    await writeFile(join(dir, 'lower/keep/old'), 'old');
    await writeFile(join(dir, 'lower/gone/file'), 'x');
    await writeFile(join(dir, 'lower/replaced/inside'), 'x');
    await writeFile(join(dir, 'lower/deleted'), 'x');
    const merged = join(dir, 'merged');
    await mounter.mountOverlay(merged, { lowerDirs: [join(dir, 'lower')], upperDir: join(dir, 'upper'), workDir: join(dir, 'work') });

    await writeFile(join(merged, 'keep/new'), 'new content');
    await chown(join(merged, 'keep/new'), 12, 34);
    await chmod(join(merged, 'keep/new'), 0o4750);
    await link(join(merged, 'keep/new'), join(merged, 'keep/hard'));
    await symlink('../keep/new', join(merged, 'keep/soft'));
    await rm(join(merged, 'deleted'));
    await rm(join(merged, 'gone'), { recursive: true });
    await rm(join(merged, 'replaced'), { recursive: true });
    await mkdir(join(merged, 'replaced'));
    await writeFile(join(merged, 'replaced/fresh'), 'fresh');
    await mounter.unmount(merged);

    const got = await entries(join(dir, 'upper'));
    expect([...got.keys()]).toEqual([
      '.wh.deleted',
      '.wh.gone',
      'keep/',
      'keep/hard',
      'keep/new',
      'keep/soft',
      'replaced/',
      'replaced/.wh..wh..opq',
      'replaced/fresh',
    ]);
    // `hard` sorts first, so it carries the content and `new` links to it.
    expect(got.get('keep/hard')).toMatchObject({ type: 'file', uid: 12, gid: 34, mode: 0o4750, body: 'new content' });
    expect(got.get('keep/new')).toMatchObject({ type: 'hardlink', linkname: 'keep/hard' });
    expect(got.get('keep/soft')).toMatchObject({ type: 'symlink', linkname: '../keep/new' });
    expect(got.get('.wh.deleted')).toMatchObject({ type: 'file', size: 0 });
    expect(got.has('keep/old')).toBe(false);
  });

  it('carries extended attributes (file capabilities, user.*) and leaves overlay attributes out', async () => {
    const upper = join(dir, 'upper');
    await mkdir(upper);
    await writeFile(join(upper, 'ping'), 'binary');
    // cap_net_raw+ep, as setcap writes it (VFS_CAP_REVISION_2).
    const cap = Buffer.from('0000000200200000000000000000000000000000', 'hex');
    await helper.setXattr(join(upper, 'ping'), 'security.capability', cap);
    await helper.setXattr(join(upper, 'ping'), 'trusted.overlay.origin', Buffer.from('x'));
    await helper.setXattr(join(upper, 'ping'), 'user.note', Buffer.from('kept'));
    const got = await entries(upper);
    expect(got.get('ping')!.xattrs).toEqual(new Map([['security.capability', cap], ['user.note', Buffer.from('kept')]]));
  });

  it('refuses an upper directory with a redirected directory (redirect_dir): its content is not in it', async () => {
    const upper = join(dir, 'upper');
    await mkdir(join(upper, 'moved'), { recursive: true });
    await helper.setXattr(join(upper, 'moved'), 'trusted.overlay.redirect', Buffer.from('/original'));
    await expect(entries(upper)).rejects.toMatchObject({ code: 'LAYER_UNSUPPORTED_ENTRY' });
  });
});

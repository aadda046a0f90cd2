import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostHelper } from '@shimkit/host-helper';
import { asRoot } from '@shimkit/test-bed';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImageStore } from '../src/image-store.js';
import { RegistryClient } from '../src/registry/registry-client.js';
import { addTestImage } from './build-test-image.js';
import { FakeRegistry } from './fake-registry.js';

let registry: FakeRegistry;
let root: string;

beforeEach(async () => {
  registry = await new FakeRegistry().start();
  root = mkdtempSync(join(tmpdir(), `shimkit-store-helper-${process.pid}-`));
});
afterEach(async () => {
  await registry.close();
  rmSync(root, { recursive: true, force: true });
});

const client = () => new RegistryClient({ retry: { attempts: 1 } });

/** The host helper processes this test process started and has not ended. */
function helperChildren(): number[] {
  return spawnSync('pgrep', ['-P', String(process.pid), '-x', 'shimkit-helper'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
}

const devices = [
  { entries: [
    { path: 'dev/', type: 'directory' as const, mode: 0o755 },
    { path: 'dev/console', type: 'char' as const, devmajor: 5, devminor: 1, mode: 0o600 },
    { path: 'etc/shadow', type: 'file' as const, data: 'root:*::', mode: 0o640, xattrs: { 'user.origin': 'layer one' } },
    { path: 'opt/old', type: 'file' as const, data: 'hidden later' },
  ] },
  { entries: [
    { path: 'run/initctl', type: 'fifo' as const, mode: 0o600 },
    { path: 'opt/', type: 'directory' as const, mode: 0o755 },
    { path: 'opt/.wh..wh..opq', type: 'file' as const },
    { path: 'opt/new', type: 'file' as const, data: 'n' },
  ] },
];

describe.each(['overlay', 'copy'] as const)('ImageStore and the host helper (%s)', asRoot('mounts and the host helper\'s kernel calls'), (snapshotter) => {
  it('unpacks device nodes, fifos, xattrs and opaque directories through a helper it is given, and leaves it open', async () => {
    addTestImage(registry, 'devices', 'v1', devices);
    const helper = new HostHelper();
    try {
      const store = await ImageStore.open({ root, snapshotter, registry: client(), helper });
      expect(store.snapshots.helper).toBe(helper);
      await store.pull(`${registry.host}/devices:v1`);
      const rootfs = await store.createRootfs('c1', `${registry.host}/devices:v1`);
      const consoleDev = lstatSync(join(rootfs.path, 'dev/console'));
      expect([consoleDev.isCharacterDevice(), consoleDev.mode & 0o7777, consoleDev.rdev]).toEqual([true, 0o600, 0x501]);
      const fifo = lstatSync(join(rootfs.path, 'run/initctl'));
      expect([fifo.isFIFO(), fifo.mode & 0o7777]).toEqual([true, 0o600]);
      expect(execFileSync('getfattr', ['--absolute-names', '--only-values', '-n', 'user.origin', join(rootfs.path, 'etc/shadow')], { encoding: 'utf8' })).toBe('layer one');
      expect(existsSync(join(rootfs.path, 'opt/old'))).toBe(false);
      expect(readFileSync(join(rootfs.path, 'opt/new'), 'utf8')).toBe('n');
      await store.removeRootfs('c1');
      const pid = helper.pid;
      expect(pid).toBeDefined();
      await store.close();
      expect(helper.pid).toBe(pid);
      expect(existsSync(`/proc/${pid}`)).toBe(true);
      // still serving its owner
      await helper.mknod(join(root, 'after-close'), 0o010000 | 0o600);
      expect(lstatSync(join(root, 'after-close')).isFIFO()).toBe(true);
    } finally {
      await helper.close();
    }
    expect(helperChildren()).toEqual([]);
  });

  it('without a helper makes its own and ends it on close', async () => {
    addTestImage(registry, 'devices', 'v1', devices);
    const store = await ImageStore.open({ root, snapshotter, registry: client() });
    await store.pull(`${registry.host}/devices:v1`);
    const own = store.snapshots.helper;
    const pid = own.pid;
    expect(pid).toBeDefined();
    expect(helperChildren()).toEqual([pid]);
    await store.close();
    expect(own.pid).toBeUndefined();
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    expect(helperChildren()).toEqual([]);
  });
});

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Registry, TestImages } from '@shimkit/test-bed';
import { pushTestImages, startRegistry } from '@shimkit/test-bed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isImageStoreError } from '../src/errors.js';
import { ImageStore } from '../src/image-store.js';
import type { PullProgress } from '../src/pull/pull-image.js';
import { isMountPoint } from '../src/snapshot/snapshot-store.js';

let registry: Registry;
let images: TestImages;
const roots: string[] = [];

beforeAll(async () => {
  registry = await startRegistry();
  images = await pushTestImages({ host: registry.host });
});
afterAll(async () => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
  await registry?.close();
});

function newRoot(): string {
  const root = mkdtempSync(join(tmpdir(), `shimkit-images-${process.pid}-`));
  roots.push(root);
  return root;
}

describe.each(['overlay', 'copy'] as const)('ImageStore with the %s snapshotter against docker-registry', (snapshotter) => {
  it('pulls, names, mounts a rootfs, removes and collects garbage', async () => {
    const root = newRoot();
    await using store = await ImageStore.open({ root, snapshotter });
    expect(store.snapshotter).toBe(snapshotter);
    const progress: PullProgress[] = [];
    const image = await store.pull(images.busybox.reference, { onProgress: (p) => progress.push(p) });
    expect(image.id).toBe(images.busybox.configDigest);
    expect(image.repoTags).toEqual([images.busybox.reference]);
    expect(image.repoDigests).toEqual([images.busybox.canonical]);
    expect(image.config.config?.Cmd).toEqual(['sh']);
    expect(progress.at(-1)?.status).toBe('done');
    expect(progress.some((p) => p.status === 'downloading')).toBe(true);

    // by id, hex, short id, tag and digest
    for (const ref of [image.id, image.id.slice(7), image.id.slice(7, 19), images.busybox.reference, images.busybox.canonical]) {
      expect(store.get(ref)?.id, ref).toBe(image.id);
    }
    // the pause image shares the layer: nothing is fetched again
    const pauseProgress: PullProgress[] = [];
    await store.pull(images.pause.reference, { onProgress: (p) => pauseProgress.push(p) });
    expect(pauseProgress.map((p) => p.status)).toEqual(['exists']);
    expect(store.list()).toHaveLength(2);

    const rootfs = await store.createRootfs(`c-${process.pid}`, images.busybox.reference);
    try {
      // a rootfs whose record is not fsynced (a `run --rm`'s) is recorded, pins the image and is removed the same way
      const passing = await store.createRootfs(`c-${process.pid}-rm`, images.busybox.reference, { durable: false });
      expect(existsSync(join(passing.path, 'bin', 'busybox'))).toBe(true);
      expect((await store.rootfsUsers(images.busybox.reference)).sort()).toEqual([`c-${process.pid}`, `c-${process.pid}-rm`]);
      expect(await store.removeRootfs(passing.id)).toBe(true);
      expect(existsSync(join(root, 'containers', passing.id))).toBe(false);
      expect(existsSync(join(rootfs.path, 'bin', 'busybox'))).toBe(true);
      const before = await store.rootfsUsage(`c-${process.pid}`);
      writeFileSync(join(rootfs.path, 'written-by-container'), 'x');
      writeFileSync(join(rootfs.path, 'a-megabyte'), Buffer.alloc(1024 * 1024, 1));
      // only what the container wrote counts, not the image's layers
      const after = await store.rootfsUsage(`c-${process.pid}`);
      expect((after?.usedBytes ?? 0) - (before?.usedBytes ?? 0)).toBeGreaterThanOrEqual(1024 * 1024);
      expect((after?.inodesUsed ?? 0) - (before?.inodesUsed ?? 0)).toBe(2);
      if (snapshotter === 'overlay') expect(after?.usedBytes).toBeLessThan(2 * 1024 * 1024);
      expect(await store.rootfsUsage('no-such-container')).toBeUndefined();
      if (snapshotter === 'overlay') {
        expect(await isMountPoint(rootfs.path)).toBe(true);
        expect(readFileSync(join(root, 'containers', `c-${process.pid}`, 'upper', 'written-by-container'), 'utf8')).toBe('x');
      }
      // the layer snapshot is untouched
      expect(existsSync(join(store.snapshots.path(image.chainIds[0]!), 'written-by-container'))).toBe(false);
      // removing both images keeps the snapshot while the rootfs uses it
      expect(await store.remove(images.busybox.reference)).toBe(true);
      expect(await store.remove(images.pause.canonical)).toBe(true);
      expect(store.list()).toEqual([]);
      const first = await store.gc();
      expect(first.removedSnapshots).toBe(0);
      expect(first.removedBlobs).toBeGreaterThanOrEqual(4); // two manifests, two configs
      expect(await store.snapshots.has(image.chainIds[0]!)).toBe(true);
    } finally {
      expect(await store.removeRootfs(`c-${process.pid}`)).toBe(true);
    }
    const usage = await store.fsUsage();
    expect(usage.usedBytes).toBeGreaterThan(0);
    expect(usage.inodesUsed).toBeGreaterThan(0);
    const gc = await store.gc();
    expect(gc).toEqual({ removedSnapshots: 1, removedBlobs: 0 });
    expect(await store.snapshots.list()).toEqual([]);
    expect(await store.content.list()).toEqual([]);
  });
});

describe('ImageStore pull credentials', () => {
  it('takes credentials for one pull', async () => {
    const auth = { username: 'kubelet', password: `pw-${process.pid}` };
    const secured = await startRegistry({ auth });
    try {
      const pushed = await pushTestImages({ host: secured.host, auth });
      await using store = await ImageStore.open({ root: newRoot() });
      await expect(store.pull(pushed.pause.reference)).rejects.toSatisfy((e) => isImageStoreError(e, 'REGISTRY_UNAUTHORIZED'));
      expect((await store.pull(pushed.pause.reference, { credentials: auth })).id).toBe(pushed.pause.configDigest);
    } finally {
      await secured.close();
    }
  });
});

describe('ImageStore metadata', () => {
  it('survives a reopen and answers from what it reloaded', async () => {
    const root = newRoot();
    const first = await ImageStore.open({ root });
    const image = await first.pull(images.pause.reference);
    // Stores share a root (other processes too: test/shared-store.test.ts); each sees the other's writes.
    const second = await ImageStore.open({ root });
    expect(second.get(images.pause.reference)?.id).toBe(image.id);
    expect(second.list()).toHaveLength(1);
    expect(await second.remove(image.id)).toBe(true);
    expect(first.list()).toEqual([]);
    expect(await second.remove(image.id)).toBe(false);
    await second.close();
    await first.close();
    const reopened = await ImageStore.open({ root });
    expect(reopened.list()).toEqual([]);
    await reopened.close();
  });
});

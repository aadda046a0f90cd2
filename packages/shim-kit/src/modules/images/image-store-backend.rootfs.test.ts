import { execFile } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { SnapshotterKind } from '@shimkit/image-store';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toImage } from '../../convert/to-cri-image.js';
import { isShimError } from '../../errors.js';
import { ImageStoreBackend } from './image-store-backend.js';
import { failure, mountsUnder, removeRoot, startRegistryFixture, tempRoot, type RegistryFixture } from './registry-fixture.test-helper.js';

const run = promisify(execFile);
const exists = (path: string): Promise<boolean> => stat(path).then(() => true, () => false);

let fixture: RegistryFixture;
let images: ImageStoreBackend;
let root: string;
const containers = new Set<string>();

beforeAll(async () => {
  fixture = await startRegistryFixture();
});
afterAll(async () => {
  await fixture?.close();
});
afterEach(async () => {
  for (const id of containers) await images.releaseRootfs(id);
  containers.clear();
  await images.close();
  await removeRoot(root); // fails when anything is still mounted below it
});

async function open(snapshotter: SnapshotterKind | 'auto'): Promise<void> {
  root = await tempRoot();
  images = new ImageStoreBackend({ root, snapshotter });
}

function ctr(name: string): string {
  const id = `${name}-${process.pid}`;
  containers.add(id);
  return id;
}

describe.each(['auto', 'copy'] as const)('ImageStoreBackend rootfs (%s snapshotter)', (snapshotter) => {
  it('gives each container a working rootfs of its own, with the image config', async () => {
    await open(snapshotter);
    const image = await images.pull(fixture.images.busybox.reference);
    const a = await images.prepareRootfs(ctr('a'), image.id);
    const b = await images.prepareRootfs(ctr('b'), image.id);
    expect(a.path).not.toBe(b.path);
    expect(a.path.startsWith(`${root}/`)).toBe(true);
    expect(a.imageId).toBe(image.id);
    expect(a.config).toEqual(image.config);
    if (snapshotter === 'copy') expect(a.kind).toBe('copy');
    if (a.kind === 'overlay') expect(await mountsUnder(root)).toEqual(expect.arrayContaining([a.path, b.path]));
    const { stdout } = await run('chroot', [a.path, '/bin/busybox', 'echo', 'hello from the rootfs']);
    expect(stdout.trim()).toBe('hello from the rootfs');

    await writeFile(join(a.path, 'only-in-a'), 'a');
    await writeFile(join(a.path, 'bin', 'busybox-copy-marker'), 'a');
    expect(await readFile(join(a.path, 'only-in-a'), 'utf8')).toBe('a');
    expect(await exists(join(b.path, 'only-in-a'))).toBe(false);
    const c = await images.prepareRootfs(ctr('c'), image.id);
    expect(await exists(join(c.path, 'bin', 'busybox-copy-marker'))).toBe(false);
    expect(await exists(join(c.path, 'bin', 'busybox'))).toBe(true);
  });

  it('releases idempotently, unmounting and deleting the upper dir', async () => {
    await open(snapshotter);
    const image = await images.pull(fixture.images.busybox.reference);
    const id = ctr('released');
    const rootfs = await images.prepareRootfs(id, image.id);
    await writeFile(join(rootfs.path, 'scratch'), 'x');
    await images.releaseRootfs(id);
    expect(await mountsUnder(root)).toEqual([]);
    expect(await exists(rootfs.path)).toBe(false);
    await images.releaseRootfs(id);
    const again = await images.prepareRootfs(id, image.id);
    expect(await exists(join(again.path, 'scratch'))).toBe(false);
  });
});

describe('ImageStoreBackend rootfs requests', () => {
  it('prepares again for the same image, refuses another image, a missing image and a bad id', async () => {
    await open('auto');
    const busybox = await images.pull(fixture.images.busybox.reference);
    // An image with one more layer (pause shares busybox's only layer).
    const store = await images.store();
    const app = await store.builder({ from: busybox.id }).addFiles([{ path: '/etc/app.conf', data: 'x' }]).commit('local.test/app:v1');
    const id = ctr('twice');
    const first = await images.prepareRootfs(id, busybox.id);
    expect((await images.prepareRootfs(id, busybox.id)).path).toBe(first.path);
    const other = await failure(images.prepareRootfs(id, app.id));
    expect(isShimError(other, 'AlreadyExists')).toBe(true);
    expect((other as Error).message).toContain(id);
    const missing = await failure(images.prepareRootfs(ctr('missing'), `sha256:${'0'.repeat(64)}`));
    expect(isShimError(missing, 'NotFound')).toBe(true);
    const bad = await failure(images.prepareRootfs('../escape', busybox.id));
    expect(isShimError(bad, 'InvalidArgument')).toBe(true);
    expect(await exists(join(root, 'escape'))).toBe(false);
  });
});

describe('ImageStoreBackend image config', () => {
  it('reports the config\'s User as ImageStatus uid or username', async () => {
    await open('auto');
    const busybox = await images.pull(fixture.images.busybox.reference);
    const store = await images.store();
    await store.builder({ from: busybox.id }).configure({ user: '1000:1000' }).commit('local.test/numeric:v1');
    await store.builder({ from: busybox.id }).configure({ user: 'nobody' }).commit('local.test/named:v1');
    const numeric = toImage((await images.status('local.test/numeric:v1'))!);
    expect(numeric.uid?.value).toBe(1000n);
    expect(numeric.username).toBe('');
    const named = toImage((await images.status('local.test/named:v1'))!);
    expect(named.uid).toBeUndefined();
    expect(named.username).toBe('nobody');
    expect(toImage(busybox).username).toBe('');
  });
});

describe('ImageStoreBackend removal and garbage collection', () => {
  it('frees the space of a removed image, but only once no container rootfs uses it', async () => {
    await open('auto');
    const empty = (await images.fsInfo()).images[0];
    expect(empty?.mountpoint).toBe(root);
    const image = await images.pull(fixture.images.busybox.reference);
    const pulled = (await images.fsInfo()).images[0];
    expect(pulled!.usedBytes).toBeGreaterThan(empty!.usedBytes + 500_000n);
    expect(pulled!.inodesUsed).toBeGreaterThan(empty!.inodesUsed);

    const id = ctr('holder');
    const rootfs = await images.prepareRootfs(id, image.id);
    await images.remove(image.id);
    expect(await images.status(image.id)).toBeUndefined();
    // The container keeps its layers while the image is gone.
    expect(await exists(join(rootfs.path, 'bin', 'busybox'))).toBe(true);
    expect((await images.fsInfo()).images[0]!.usedBytes).toBeGreaterThan(empty!.usedBytes + 500_000n);

    await images.releaseRootfs(id);
    containers.delete(id);
    await images.gc();
    const freed = (await images.fsInfo()).images[0]!;
    expect(freed.usedBytes).toBeLessThan(empty!.usedBytes + 100_000n);
    expect(freed.inodesUsed).toBeLessThan(empty!.inodesUsed + 20n);
  });

  it('collects right after removing an image no container uses', async () => {
    await open('auto');
    const empty = (await images.fsInfo()).images[0]!;
    await images.pull(fixture.images.pause.reference);
    await images.remove(fixture.images.pause.reference);
    expect((await images.fsInfo()).images[0]!.usedBytes).toBeLessThan(empty.usedBytes + 100_000n);
  });
});

import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isImageStoreError } from '../src/errors.js';
import { ImageStore } from '../src/image-store.js';
import { RegistryClient } from '../src/registry/registry-client.js';
import { isMountPoint } from '../src/snapshot/snapshot-store.js';
import { addTestImage } from './build-test-image.js';
import { FakeRegistry } from './fake-registry.js';
import { StoreProcess } from './store-process.js';

let registry: FakeRegistry;
let root: string;
const others: StoreProcess[] = [];
const stores: ImageStore[] = [];

beforeEach(async () => {
  registry = await new FakeRegistry().start();
  root = mkdtempSync(join(tmpdir(), `shimkit-shared-${process.pid}-`));
});
afterEach(async () => {
  for (const p of others.splice(0)) await p.kill();
  for (const s of stores.splice(0)) {
    for (const r of await s.snapshots.listRootfs()) await s.removeRootfs(r.id);
    await s.close();
  }
  await registry.close();
  rmSync(root, { recursive: true, force: true });
});

const big = randomBytes(150_000).toString('base64');
const layers = [
  { entries: [
    { path: 'etc/', type: 'directory' as const },
    { path: 'etc/os-release', type: 'file' as const, data: 'base' },
    { path: 'bin/tool', type: 'file' as const, data: big, mode: 0o755 },
  ] },
  { entries: [{ path: 'etc/motd', type: 'file' as const, data: 'shared' }] },
];

async function open(): Promise<ImageStore> {
  const store = await ImageStore.open({ root, lock: { staleMs: 2000 }, registry: new RegistryClient({ retry: { attempts: 2, baseDelayMs: 10 } }) });
  stores.push(store);
  return store;
}

function other(): StoreProcess {
  const p = new StoreProcess(root);
  others.push(p);
  return p;
}

/** Holds every request for `digest` until the returned release is called. */
function holdBlob(digest: string): () => void {
  let release: () => void = () => undefined;
  const held = new Promise<void>((r) => (release = r));
  registry.faults.push(...Array.from({ length: 40 }, () => async (_req: unknown, _res: unknown, url: URL) => {
    if (url.pathname.endsWith(digest)) await held;
    return false;
  }));
  return release;
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting until ${what}`);
}

/** Nothing half-made: no temp snapshot dirs, partial blobs, lease files or lock. */
function expectSettled(): void {
  expect(readdirSync(join(root, 'snapshots')).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
  expect(readdirSync(join(root, 'content', 'ingest'))).toEqual([]);
  expect(existsSync(join(root, 'leases')) ? readdirSync(join(root, 'leases')) : []).toEqual([]);
  expect(existsSync(join(root, 'store.lock'))).toBe(false);
}

describe('an image store shared by processes', () => {
  it('shows each process the images, names and snapshots the other wrote, at once', async () => {
    const img = addTestImage(registry, 'app', 'v1', layers);
    const ref = `${registry.host}/app:v1`;
    const mine = await open();
    const theirs = other();
    expect(await theirs.call('pull', ref)).toBe(img.config.digest);
    // listed without a reopen, and its snapshots are there for a rootfs here
    expect(mine.list().map((r) => r.id)).toEqual([img.config.digest]);
    const rootfs = await mine.createRootfs('shared-c1', ref);
    expect(readFileSync(join(rootfs.path, 'etc/motd'), 'utf8')).toBe('shared');
    expect(await isMountPoint(rootfs.path)).toBe(mine.snapshotter === 'overlay');
    // a tag made here is seen there, and a removal there is seen here
    await mine.tag(ref, `${registry.host}/app:other`);
    expect(await theirs.call('list')).toEqual([{ id: img.config.digest, repoTags: [ref, `${registry.host}/app:other`] }]);
    expect(await theirs.call('remove', `${registry.host}/app:other`)).toBe(true);
    expect(mine.get(`${registry.host}/app:other`)).toBeUndefined();
    expect(mine.get(ref)?.id).toBe(img.config.digest);
    await mine.removeRootfs('shared-c1');
    await theirs.close();
    expectSettled();
  });

  it('ends concurrent pulls of one image from two processes with one consistent store', async () => {
    const img = addTestImage(registry, 'app', 'v1', layers);
    const ref = `${registry.host}/app:v1`;
    const mine = await open();
    const theirs = other();
    // Both are made to wait on the big layer, so their transfers overlap.
    const release = holdBlob(img.layers[0]!.digest);
    const there = theirs.call<string>('pull', ref);
    const here = mine.pull(ref);
    await until('both asked for the big layer', () => registry.requests.filter((r) => r.path.endsWith(img.layers[0]!.digest)).length >= 1);
    await new Promise((r) => setTimeout(r, 100));
    release();
    expect(await there).toBe(img.config.digest);
    expect((await here).id).toBe(img.config.digest);
    registry.faults.length = 0;
    expect(mine.list()).toHaveLength(1);
    expect(await theirs.call('list')).toEqual([{ id: img.config.digest, repoTags: [ref] }]);
    expect((await mine.snapshots.list()).sort()).toEqual([...(mine.get(ref)!.chainIds)].sort());
    const rootfs = await mine.createRootfs('shared-c2', ref);
    expect(readFileSync(join(rootfs.path, 'bin/tool'), 'utf8')).toBe(big);
    await mine.removeRootfs('shared-c2');
    await theirs.close();
    expect(await mine.gc()).toEqual({ removedBlobs: 0, removedSnapshots: 0 });
    expectSettled();
  });

  it('gc leaves another process pull in progress and its containers\' layers alone; image removal is deferred while a container uses it', async () => {
    const img = addTestImage(registry, 'app', 'v1', layers);
    const ref = `${registry.host}/app:v1`;
    const mine = await open();
    const theirs = other();
    const release = holdBlob(img.layers[0]!.digest);
    const pulling = theirs.call<string>('pull', ref);
    await until('the other process asked for the layer', () => registry.requests.some((r) => r.path.endsWith(img.layers[0]!.digest)));
    await expect(mine.gc()).rejects.toSatisfy((e) => isImageStoreError(e, 'IN_USE') && (e as Error).message.includes(`process ${theirs.pid}`));
    release();
    expect(await pulling).toBe(img.config.digest);
    registry.faults.length = 0;

    // Their container's rootfs pins the layers: removing the image here drops its name at once
    // (for both), and the layers stay until that rootfs goes (containerd's and the shim's way).
    await theirs.call('createRootfs', 'shared-c3', ref);
    expect(await mine.remove(ref)).toBe(true);
    expect(await theirs.call('list')).toEqual([]);
    // (its manifest and config blobs go: a rootfs needs only the layers)
    expect(await mine.gc()).toEqual({ removedBlobs: 2, removedSnapshots: 0 });
    expect(await theirs.call('removeRootfs', 'shared-c3')).toBe(true);
    expect((await mine.gc()).removedSnapshots).toBe(img.layers.length);
    expect(await mine.snapshots.list()).toEqual([]);
    await theirs.close();
    expectSettled();
  });

  it('a killed process\'s lock, lease and half-written layer do not wedge the others', async () => {
    const img = addTestImage(registry, 'app', 'v1', layers);
    const ref = `${registry.host}/app:v1`;
    const mine = await open();

    const locker = other();
    expect(await locker.call('holdLock')).toBe(true);
    await locker.kill();
    // Its lock directory is left; it goes stale (2 s here) and is taken over.
    expect(existsSync(join(root, 'store.lock'))).toBe(true);
    expect(await mine.remove('nothing:here')).toBe(false);

    // Killed mid-layer: its lease and half-filled snapshot dir (or partial blob and ingest lock) stay behind.
    const puller = other();
    let halfSent = false;
    registry.faults.push(...Array.from({ length: 40 }, () => async (req: unknown, res: ServerResponse, url: URL) => {
      if (!url.pathname.endsWith(img.layers[0]!.digest) || registry.faults.length === 0) return false;
      // Half the layer, then nothing more: the connection stays open until the process dies.
      const blob = registry.blobs.get(img.layers[0]!.digest)!;
      res.writeHead(200, { 'content-length': String(blob.length), 'content-type': 'application/octet-stream' });
      res.write(blob.subarray(0, blob.length >> 1), () => (halfSent = true));
      return new Promise<boolean>(() => undefined);
    }));
    void puller.call('pull', ref).catch(() => undefined);
    await until('half the layer was sent', () => halfSent);
    await new Promise((r) => setTimeout(r, 200));
    await puller.kill();
    registry.faults.length = 0;
    expect(readdirSync(join(root, 'leases'))).toHaveLength(1);
    const leftovers = [...readdirSync(join(root, 'snapshots')).filter((n) => n.startsWith('.tmp-')), ...readdirSync(join(root, 'content', 'ingest'))];
    expect(leftovers.length).toBeGreaterThan(0);
    // The dead process's lease does not hold gc back, and a pull here takes over its layer.
    expect(await mine.pull(ref)).toMatchObject({ id: img.config.digest });
    expect(await mine.gc()).toEqual({ removedBlobs: 0, removedSnapshots: 0 });
    expectSettled();
  });
});

import type { Digest } from '@shimkit/oci-spec';
import type { ServerResponse } from 'node:http';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isImageStoreError } from '../src/errors.js';
import { ImageStore } from '../src/image-store.js';
import { RegistryClient } from '../src/registry/registry-client.js';
import { addTestImage } from './build-test-image.js';
import { FakeRegistry } from './fake-registry.js';

let registry: FakeRegistry;
let root: string;
const rootfsIds: Array<[ImageStore, string]> = [];

beforeEach(async () => {
  registry = await new FakeRegistry().start();
  root = mkdtempSync(join(tmpdir(), `shimkit-pull-${process.pid}-`));
});
afterEach(async () => {
  for (const [store, id] of rootfsIds.splice(0)) await store.removeRootfs(id);
  await registry.close();
  rmSync(root, { recursive: true, force: true });
});

const client = () => new RegistryClient({ retry: { attempts: 2, baseDelayMs: 10 } });

const layered = [
  { entries: [
    { path: 'etc/', type: 'directory' as const },
    { path: 'etc/os-release', type: 'file' as const, data: 'base' },
    { path: 'etc/removed', type: 'file' as const, data: 'gone later' },
    { path: 'opt/old/a', type: 'file' as const, data: 'a' },
    { path: 'bin/tool', type: 'file' as const, data: 'tool', mode: 0o755 },
  ] },
  { compression: 'zstd' as const, entries: [
    { path: 'etc/.wh.removed', type: 'file' as const },
    { path: 'opt/old/', type: 'directory' as const },
    { path: 'opt/old/.wh..wh..opq', type: 'file' as const },
    { path: 'opt/old/b', type: 'file' as const, data: 'b' },
    { path: 'bin/tool-link', type: 'hardlink' as const, linkname: 'bin/tool' },
  ] },
  { compression: 'none' as const, entries: [{ path: 'etc/os-release', type: 'file' as const, data: 'top' }] },
];

describe.each(['overlay', 'copy'] as const)('pull pipeline (%s)', (snapshotter) => {
  it('applies gzip, zstd and plain layers with whiteouts into a working rootfs', async () => {
    addTestImage(registry, 'app', 'v1', layered);
    const store = await ImageStore.open({ root, snapshotter, registry: client() });
    const image = await store.pull(`${registry.host}/app:v1`);
    expect(image.chainIds).toHaveLength(3);
    const rootfs = await store.createRootfs('c1', `${registry.host}/app:v1`);
    rootfsIds.push([store, 'c1']);
    expect(readFileSync(join(rootfs.path, 'etc/os-release'), 'utf8')).toBe('top');
    expect(existsSync(join(rootfs.path, 'etc/removed'))).toBe(false);
    expect(readdirSync(join(rootfs.path, 'opt/old'))).toEqual(['b']);
    expect(readFileSync(join(rootfs.path, 'bin/tool-link'), 'utf8')).toBe('tool');
    expect(lstatSync(join(rootfs.path, 'bin/tool')).mode & 0o777).toBe(0o755);
  });

  it('resolves a later layer\'s paths through a lower layer\'s link (bin -> usr/bin), waiting for that layer', async () => {
    addTestImage(registry, 'usrmerge', 'v1', [
      { entries: [
        // a bigger layer, so the small one above it is ready to apply first
        ...Array.from({ length: 20 }, (_, i) => ({ path: `usr/share/f${i}`, type: 'file' as const, data: 'x'.repeat(200_000) })),
        { path: 'usr/bin/sh', type: 'file' as const, data: 'sh', mode: 0o755 },
        { path: 'bin', type: 'symlink' as const, linkname: 'usr/bin' },
      ] },
      { entries: [{ path: 'bin/tool', type: 'file' as const, data: 'tool' }, { path: 'sbin/sh', type: 'hardlink' as const, linkname: 'bin/sh' }] },
    ]);
    const store = await ImageStore.open({ root, snapshotter, registry: client() });
    await store.pull(`${registry.host}/usrmerge:v1`);
    const rootfs = await store.createRootfs('c1', `${registry.host}/usrmerge:v1`);
    rootfsIds.push([store, 'c1']);
    expect(readlinkSync(join(rootfs.path, 'bin'))).toBe('usr/bin');
    expect(readdirSync(join(rootfs.path, 'usr/bin')).sort()).toEqual(['sh', 'tool']);
    expect(readFileSync(join(rootfs.path, 'sbin/sh'), 'utf8')).toBe('sh');
  });
});

describe('pull pipeline', () => {
  it('picks the platform from a multi-platform index', async () => {
    const amd = addTestImage(registry, 'multi', undefined, [{ entries: [{ path: 'arch', type: 'file', data: 'amd64' }] }]);
    const arm = addTestImage(registry, 'multi', undefined, [{ entries: [{ path: 'arch', type: 'file', data: 'arm64' }] }], { architecture: 'arm64', os: 'linux' });
    const index = registry.addManifest('multi', 'latest', {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        { ...amd.manifest, platform: { architecture: 'amd64', os: 'linux' } },
        { ...arm.manifest, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } },
      ],
    }, 'application/vnd.oci.image.index.v1+json');
    const store = await ImageStore.open({ root, registry: client() });
    const image = await store.pull(`${registry.host}/multi`, { platform: { architecture: 'arm64', os: 'linux' } });
    expect(image.manifest.digest).toBe(arm.manifest.digest);
    expect(image.index?.digest).toBe(index.digest);
    expect(image.repoDigests).toEqual([`${registry.host}/multi@${index.digest}`]);
    expect(readFileSync(join(store.snapshots.path(image.chainIds[0]!), 'arch'), 'utf8')).toBe('arm64');
    await expect(store.pull(`${registry.host}/multi`, { platform: { architecture: 's390x', os: 'linux' } })).rejects.toSatisfy((e) => isImageStoreError(e, 'NO_MATCHING_PLATFORM'));
  });

  it.each(['overlay', 'copy'] as const)('refuses a layer whose content does not match its diff id (%s)', async (snapshotter) => {
    addTestImage(registry, 'bad', 'v1', [
      { entries: [{ path: 'x', type: 'file', data: 'x' }], wrongDiffId: true },
      { entries: [{ path: 'y', type: 'file', data: 'y'.repeat(100_000) }] },
      { entries: [{ path: 'z', type: 'file', data: 'z' }] },
    ]);
    const store = await ImageStore.open({ root, registry: client(), snapshotter });
    await expect(store.pull(`${registry.host}/bad:v1`)).rejects.toSatisfy((e) => isImageStoreError(e, 'DIGEST_MISMATCH'));
    // The bad layer's snapshot is never committed (overlay layers beside it may be: each was verified on its own).
    for (const c of await store.snapshots.list()) expect(existsSync(join(store.snapshots.path(c), 'x'))).toBe(false);
    if (snapshotter === 'copy') expect(await store.snapshots.list()).toEqual([]);
    expect(store.list()).toEqual([]);
    expect(readdirSync(join(root, 'snapshots')).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
  });

  it.each([
    ['truncated', (zst: Buffer) => zst.subarray(0, zst.length - 100), /ends inside a frame/],
    ['with a bad checksum', (zst: Buffer) => Buffer.concat([zst.subarray(0, -1), Buffer.from([zst.at(-1)! ^ 0xff])]), /checksum/i],
  ])('refuses a zstd layer %s, naming the layer, and leaves nothing behind', async (_, damage, complaint) => {
    const img = addTestImage(registry, 'damaged', 'v1', [
      { entries: [{ path: 'x', type: 'file', data: 'x' }] },
      { compression: 'zstd', entries: [{ path: 'y', type: 'file', data: 'y'.repeat(300_000) }], damage },
    ]);
    const store = await ImageStore.open({ root, registry: client() });
    const failure = await store.pull(`${registry.host}/damaged:v1`).catch((e: unknown) => e);
    expect(isImageStoreError(failure, 'DECOMPRESS_FAILED')).toBe(true);
    expect((failure as Error).message).toMatch(new RegExp(`^layer ${img.layers[1]!.digest}: zstd: `));
    expect((failure as Error).message).toMatch(complaint);
    expect(store.list()).toEqual([]);
    expect(existsSync(join(root, 'content/blobs', ...img.layers[1]!.digest.split(':')))).toBe(false);
    expect(readdirSync(join(root, 'content/ingest'))).toEqual([]);
    await expect.poll(() => readdirSync(join(root, 'leases')), { timeout: 2000 }).toEqual([]);
    for (const c of await store.snapshots.list()) expect(existsSync(join(store.snapshots.path(c), 'y'))).toBe(false);
    expect(readdirSync(join(root, 'snapshots')).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
  });

  it('refuses a malicious layer and writes nothing outside the store', async () => {
    addTestImage(registry, 'evil', 'v1', [{ entries: [{ path: '../../escaped', type: 'file', data: 'x' }] }]);
    const store = await ImageStore.open({ root, registry: client() });
    await expect(store.pull(`${registry.host}/evil:v1`)).rejects.toSatisfy((e) => isImageStoreError(e, 'LAYER_UNSAFE_PATH'));
    expect(existsSync(join(root, '..', 'escaped'))).toBe(false);
    expect(await store.snapshots.list()).toEqual([]);
  });

  it('coalesces identical concurrent pulls into one transfer', async () => {
    const img = addTestImage(registry, 'app', 'v1', layered);
    const store = await ImageStore.open({ root, registry: client() });
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => store.pull(`${registry.host}/app:v1`)));
    expect(a!.id).toBe(b!.id);
    expect(b!.id).toBe(c!.id);
    for (const layer of img.layers) {
      expect(registry.requests.filter((r) => r.path.endsWith(layer.digest))).toHaveLength(1);
    }
  });

  it('refuses gc while a pull is writing blobs and snapshots', async () => {
    const img = addTestImage(registry, 'app', 'v1', layered);
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    // Every request takes one fault off the queue; the one for the first layer waits.
    const hold = async (_req: unknown, _res: unknown, url: URL) => {
      if (url.pathname.endsWith(img.layers[0]!.digest)) await held;
      return false;
    };
    registry.faults.push(...Array.from({ length: 20 }, () => hold));
    const store = await ImageStore.open({ root, registry: client() });
    const pulling = store.pull(`${registry.host}/app:v1`);
    for (let i = 0; i < 200 && !registry.requests.some((r) => r.path.endsWith(img.layers[0]!.digest)); i++) await new Promise((r) => setTimeout(r, 10));
    await expect(store.gc()).rejects.toSatisfy((e) => isImageStoreError(e, 'IN_USE'));
    release();
    await pulling;
    registry.faults.length = 0;
    expect(await store.gc()).toEqual({ removedBlobs: 0, removedSnapshots: 0 });
  });

  it('keeps layer blobs in the content store when asked', async () => {
    const img = addTestImage(registry, 'app', 'v1', layered);
    const store = await ImageStore.open({ root, registry: client(), keepLayerBlobs: true });
    await store.pull(`${registry.host}/app:v1`);
    for (const layer of img.layers) expect(await store.content.verify(layer.digest as Digest)).toBe(true);
  });

  it('aborts on the caller signal and on a stalled transfer', async () => {
    const img = addTestImage(registry, 'app', 'v1', layered);
    const stall = (_req: unknown, res: ServerResponse, url: URL) => {
      if (!url.pathname.includes('/blobs/') || url.pathname.endsWith(img.config.digest)) return false;
      // The first bytes of the real blob, then nothing.
      const blob = registry.blobs.get(url.pathname.split('/').pop()!)!;
      res.writeHead(200, { 'content-length': blob.length });
      res.write(blob.subarray(0, 10));
      return true;
    };
    for (let i = 0; i < 20; i++) registry.faults.push(stall);
    const store = await ImageStore.open({ root, registry: client() });
    const started = Date.now();
    await expect(store.pull(`${registry.host}/app:v1`, { progressTimeoutMs: 300 })).rejects.toSatisfy((e) => isImageStoreError(e, 'PROGRESS_TIMEOUT'));
    expect(Date.now() - started).toBeLessThan(10_000);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    await expect(store.pull(`${registry.host}/app:v1`, { signal: ac.signal })).rejects.toSatisfy((e) => isImageStoreError(e, 'ABORTED'));
    expect(await store.snapshots.list()).toEqual([]);
    registry.faults.length = 0;
    expect((await store.pull(`${registry.host}/app:v1`)).chainIds).toHaveLength(3);
  });
});

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Registry, TestImages } from '@shimkit/test-bed';
import { createBusyboxRootfs, pushTestImages, startRegistry } from '@shimkit/test-bed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isImageStoreError } from '../src/errors.js';
import { ImageStore } from '../src/image-store.js';

let registry: Registry;
let images: TestImages;
let work: string;

beforeAll(async () => {
  registry = await startRegistry();
  images = await pushTestImages({ host: registry.host });
  work = mkdtempSync(join(tmpdir(), `shimkit-layout-${process.pid}-`));
});
afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  await registry?.close();
});

describe('OCI layout import and export', () => {
  it('exports pulled images to a layout that umoci reads, and imports it into another store', async () => {
    const a = await ImageStore.open({ root: join(work, 'a'), keepLayerBlobs: true });
    const pulled = await a.pull(images.busybox.reference);
    await a.pull(images.pause.reference);
    // both are tagged latest, in different repositories: one layout cannot name both
    await expect(a.exportLayout([images.busybox.reference, images.pause.reference], join(work, 'both'))).rejects.toThrow(/share the layout ref name "latest"/);
    expect(existsSync(join(work, 'both'))).toBe(false);
    const single = join(work, 'single');
    await a.exportLayout([images.busybox.reference], single);
    expect(execFileSync('umoci', ['ls', '--layout', single]).toString().trim()).toBe('latest');
    const b = await ImageStore.open({ root: join(work, 'b') });
    const imported = await b.importLayout(single, { name: 'example.com/imported/busybox:v1' });
    expect(imported.id).toBe(pulled.id);
    expect(imported.repoTags).toEqual(['example.com/imported/busybox:v1']);
    const rootfs = await b.createRootfs(`layout-${process.pid}`, imported.id);
    try {
      expect(existsSync(join(rootfs.path, 'bin', 'busybox'))).toBe(true);
    } finally {
      await b.removeRootfs(`layout-${process.pid}`);
    }
  });

  it('imports a layout built by umoci, by ref name', async () => {
    const layout = join(work, 'umoci');
    const rootfs = join(work, 'umoci-rootfs');
    await createBusyboxRootfs(rootfs);
    execFileSync('umoci', ['init', '--layout', layout]);
    execFileSync('umoci', ['new', '--image', `${layout}:one`]);
    execFileSync('umoci', ['insert', '--image', `${layout}:one`, rootfs, '/']);
    execFileSync('umoci', ['config', '--image', `${layout}:one`, '--config.cmd', 'echo', '--tag', 'two']);
    const store = await ImageStore.open({ root: join(work, 'c') });
    await expect(store.importLayout(layout, { name: 'x/y:z' })).rejects.toSatisfy((e) => isImageStoreError(e, 'INVALID_ARGUMENT') && /name one/.test((e as Error).message));
    await expect(store.importLayout(layout, { name: 'x/y:z', refName: 'three' })).rejects.toSatisfy((e) => isImageStoreError(e, 'NOT_FOUND'));
    const two = await store.importLayout(layout, { name: 'local/two:latest', refName: 'two' });
    expect(two.config.config?.Cmd).toEqual(['echo']);
    expect(readFileSync(join(store.snapshots.path(two.chainIds[0]!), 'bin', 'busybox')).length).toBeGreaterThan(0);
  });

  it('round-trips an OCI archive that skopeo reads', async () => {
    const a = await ImageStore.open({ root: join(work, 'arch-a'), keepLayerBlobs: true });
    const pulled = await a.pull(images.pause.reference);
    const archive = join(work, 'pause.tar');
    await a.exportArchive([images.pause.reference], archive);
    const inspected = JSON.parse(execFileSync('skopeo', ['inspect', `oci-archive:${archive}:latest`]).toString()) as { Digest: string };
    expect(inspected.Digest).toBe(images.pause.digest);
    const b = await ImageStore.open({ root: join(work, 'arch-b') });
    expect((await b.importArchive(archive, { name: 'local/pause:1' })).id).toBe(pulled.id);
    await expect(b.importArchive(join(work, 'missing.tar'), { name: 'x/y:1' })).rejects.toSatisfy((e) => isImageStoreError(e, 'NOT_FOUND'));
    expect(readdirSync(join(work, 'arch-b')).filter((n) => n.startsWith('.archive-'))).toEqual([]);
  });

  it('refuses to export an image whose layer blobs were not kept', async () => {
    const store = await ImageStore.open({ root: join(work, 'd') });
    await store.pull(images.pause.reference);
    await expect(store.exportLayout([images.pause.reference], join(work, 'nope'))).rejects.toThrow(/keepLayerBlobs/);
  });
});

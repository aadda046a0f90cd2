import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isShimError } from '../../errors.js';
import { RecordingLogger } from '../../testing/recording-logger.js';
import { ImageStoreBackend } from './image-store-backend.js';
import type { ImageStoreBackendOptions } from './image-store-backend-options.js';
import { failure, removeRoot, startRegistryFixture, tempRoot, type RegistryFixture } from './registry-fixture.test-helper.js';

let plain: RegistryFixture;
let backends: ImageStoreBackend[] = [];
let roots: string[] = [];

beforeAll(async () => {
  plain = await startRegistryFixture();
});
afterAll(async () => {
  await plain?.close();
});
afterEach(async () => {
  await Promise.all(backends.map((b) => b.close()));
  for (const root of roots) await removeRoot(root);
  backends = [];
  roots = [];
});

async function backend(options: Omit<ImageStoreBackendOptions, 'root'> = {}): Promise<ImageStoreBackend> {
  const root = await tempRoot();
  roots.push(root);
  // One try per request: failures in these tests are meant, retrying them only costs time.
  const images = new ImageStoreBackend({ ...options, root, registry: { retry: { attempts: 1 }, ...options.registry } });
  backends.push(images);
  return images;
}

describe('ImageStoreBackend pulls', () => {
  it('pulls by tag and by digest with one id (the config digest) in pull, status and list', async () => {
    const images = await backend();
    const { busybox } = plain.images;
    const byTag = await images.pull(busybox.reference);
    expect(byTag.id).toBe(busybox.configDigest);
    expect(byTag.repoTags).toEqual([busybox.reference]);
    expect(byTag.repoDigests).toEqual([busybox.canonical]);
    expect(byTag.size).toBeGreaterThan(0n);
    expect(byTag.config.config?.Cmd).toEqual(['sh']);
    expect(byTag.pinned).toBe(false);

    const byDigest = await images.pull(busybox.canonical);
    expect(byDigest.id).toBe(byTag.id);
    for (const ref of [busybox.reference, busybox.canonical, byTag.id, byTag.id.slice(7), byTag.id.slice(7, 19)]) {
      expect((await images.status(ref))?.id, ref).toBe(byTag.id);
    }
    const list = await images.list();
    expect(list.map((i) => i.id)).toEqual([byTag.id]);
    expect(list[0]?.repoTags).toEqual([busybox.reference]);
    expect(list[0]?.repoDigests).toEqual([busybox.canonical]);
  });

  it('keeps images apart and removes a name, the image only with its last tag', async () => {
    const { busybox, pause } = plain.images;
    const mirrored = 'mirror-of-plain.invalid/busybox:latest';
    const images = await backend({ registry: { hosts: { 'mirror-of-plain.invalid': { mirrors: [plain.registry.host] } } } });
    const a = await images.pull(busybox.reference);
    const b = await images.pull(pause.reference);
    expect(b.id).toBe(pause.configDigest);
    expect(b.id).not.toBe(a.id);
    expect((await images.pull(mirrored)).id).toBe(a.id);
    expect((await images.status(a.id))?.repoTags.sort()).toEqual([busybox.reference, mirrored].sort());

    await images.remove(busybox.reference);
    expect((await images.status(a.id))?.repoTags).toEqual([mirrored]);
    expect(await images.status(busybox.reference)).toBeUndefined();
    await images.remove(mirrored);
    expect(await images.status(a.id)).toBeUndefined();
    await images.remove(pause.canonical); // a digest reference removes the whole image
    expect(await images.list()).toEqual([]);
    await images.remove(pause.reference); // already gone: fine
  });

  it('reports pinned images and logs pulls', async () => {
    const logger = new RecordingLogger();
    const images = await backend({ pinnedImages: [plain.images.pause.reference], logger });
    expect((await images.pull(plain.images.pause.reference)).pinned).toBe(true);
    expect((await images.pull(plain.images.busybox.reference)).pinned).toBe(false);
    expect(logger.lines.filter((l) => l.message === 'image pulled').map((l) => l.fields.image)).toEqual([plain.images.pause.reference, plain.images.busybox.reference]);
  });

  it('fails clearly for a bad reference and for an image the registry lacks', async () => {
    const images = await backend();
    const bad = await failure(images.pull('Not A Reference'));
    expect(isShimError(bad, 'InvalidArgument')).toBe(true);
    expect((bad as Error).message).toContain('Not A Reference');
    const missing = await failure(images.pull(`${plain.registry.host}/nothing-here:1`));
    expect(isShimError(missing, 'NotFound')).toBe(true);
    expect((missing as Error).message).toContain(`${plain.registry.host}/nothing-here:1`);
    expect(await images.list()).toEqual([]);
  });

  it('honours plain-HTTP host configuration (0.0.0.0 reaches the loopback registry but is not taken for it)', async () => {
    const host = plain.registry.host.replace('127.0.0.1', '0.0.0.0');
    const ref = `${host}/busybox:latest`;
    const tls = await failure((await backend()).pull(ref));
    expect(isShimError(tls, 'Unavailable')).toBe(true);
    expect((tls as Error).message).toContain(`https://${host}/v2/`);
    const images = await backend({ registry: { hosts: { [host]: { plainHttp: true } } } });
    expect((await images.pull(ref)).id).toBe(plain.images.busybox.configDigest);
  });

  it('stops a pull when its signal aborts, storing nothing, and pulls again afterwards', async () => {
    const images = await backend();
    const controller = new AbortController();
    const pulling = images.pull(plain.images.busybox.reference, { signal: controller.signal });
    controller.abort(new Error('kubelet gave up'));
    const error = await failure(pulling);
    expect(isShimError(error, 'Cancelled'), String(error)).toBe(true);
    expect(await images.list()).toEqual([]);
    expect((await images.pull(plain.images.busybox.reference)).id).toBe(plain.images.busybox.configDigest);
  });

  it('refuses to pull once closed', async () => {
    const images = await backend();
    await images.close();
    expect(isShimError(await failure(images.pull(plain.images.busybox.reference)), 'FailedPrecondition')).toBe(true);
  });
});

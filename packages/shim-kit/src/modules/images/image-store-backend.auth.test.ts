import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isShimError } from '../../errors.js';
import type { RegistryAuth } from '../../interfaces/image-backend.js';
import { ImageStoreBackend } from './image-store-backend.js';
import type { ImageStoreBackendOptions } from './image-store-backend-options.js';
import { removeRoot, startRegistryFixture, tempRoot, type RegistryFixture } from './registry-fixture.test-helper.js';

const user = { username: `user${process.pid}`, password: 'right-password' };
let guarded: RegistryFixture;
let backends: ImageStoreBackend[] = [];
let roots: string[] = [];

beforeAll(async () => {
  guarded = await startRegistryFixture({ auth: user });
});
afterAll(async () => {
  await guarded?.close();
});
afterEach(async () => {
  await Promise.all(backends.map((b) => b.close()));
  for (const root of roots) await removeRoot(root);
  backends = [];
  roots = [];
});

async function backend(options: Omit<ImageStoreBackendOptions, 'root'> = {}): Promise<{ images: ImageStoreBackend; root: string }> {
  const root = await tempRoot();
  roots.push(root);
  const images = new ImageStoreBackend({ ...options, root, registry: { retry: { attempts: 1 }, ...options.registry } });
  backends.push(images);
  return { images, root };
}

async function pullError(images: ImageStoreBackend, ref: string, auth?: RegistryAuth): Promise<unknown> {
  try {
    await images.pull(ref, auth === undefined ? {} : { auth });
  } catch (e) {
    return e;
  }
  throw new Error(`pulling ${ref} should have failed`);
}

describe('ImageStoreBackend with a registry that requires credentials', () => {
  it('answers Unauthenticated without credentials or with wrong ones, naming the image', async () => {
    const { images } = await backend();
    const ref = guarded.images.busybox.reference;
    for (const auth of [undefined, { username: user.username, password: 'wrong' }, { auth: Buffer.from('nobody:nothing').toString('base64') }]) {
      const error = await pullError(images, ref, auth);
      expect(isShimError(error, 'Unauthenticated'), String(error)).toBe(true);
      expect((error as Error).message).toContain(ref);
    }
    expect(await images.list()).toEqual([]);
  });

  it('pulls with the AuthConfig as username/password or as base64 auth', async () => {
    const { images } = await backend();
    const { busybox, pause } = guarded.images;
    expect((await images.pull(busybox.reference, { auth: { ...user, serverAddress: guarded.registry.host } })).id).toBe(busybox.configDigest);
    const auth = Buffer.from(`${user.username}:${user.password}`).toString('base64');
    expect((await images.pull(pause.reference, { auth: { auth } })).id).toBe(pause.configDigest);
  });

  it('ignores an AuthConfig meant for another server', async () => {
    const { images } = await backend();
    const error = await pullError(images, guarded.images.busybox.reference, { ...user, serverAddress: 'elsewhere.example' });
    expect(isShimError(error, 'Unauthenticated')).toBe(true);
  });

  it('uses configured per-host credentials, with the AuthConfig taking precedence', async () => {
    const host = guarded.registry.host;
    const { images } = await backend({ registry: { hosts: { [host]: { credentials: user } } } });
    expect((await images.pull(guarded.images.busybox.reference)).id).toBe(guarded.images.busybox.configDigest);
    const error = await pullError(images, guarded.images.pause.reference, { username: user.username, password: 'wrong' });
    expect(isShimError(error, 'Unauthenticated')).toBe(true);

    const misconfigured = (await backend({ registry: { hosts: { [host]: { credentials: { username: user.username, password: 'stale' } } } } })).images;
    expect((await misconfigured.pull(guarded.images.pause.reference, { auth: user })).id).toBe(guarded.images.pause.configDigest);
  });

  it('reads credentials from a docker config.json', async () => {
    const dir = await tempRoot();
    roots.push(dir);
    const file = join(dir, 'config.json');
    const auth = Buffer.from(`${user.username}:${user.password}`).toString('base64');
    await writeFile(file, JSON.stringify({ auths: { [`http://${guarded.registry.host}`]: { auth } } }));
    const { images } = await backend({ dockerConfig: file });
    expect((await images.pull(guarded.images.busybox.reference)).id).toBe(guarded.images.busybox.configDigest);
  });

  it('fails on first use with a clear error when the docker config.json is missing', async () => {
    const { images } = await backend({ dockerConfig: '/nonexistent/shimkit/config.json' });
    const error = await pullError(images, guarded.images.busybox.reference);
    expect(isShimError(error, 'InvalidArgument')).toBe(true);
    expect((error as Error).message).toContain('/nonexistent/shimkit/config.json');
  });

  it('pulls a made-up registry name through a mirror, with the mirror host\'s credentials', async () => {
    const name = `registry-${process.pid}.invalid`;
    const { images } = await backend({
      registry: { hosts: { [name]: { mirrors: [guarded.registry.host] }, [guarded.registry.host]: { credentials: user } } },
    });
    const image = await images.pull(`${name}/busybox:latest`);
    expect(image.id).toBe(guarded.images.busybox.configDigest);
    expect(image.repoTags).toEqual([`${name}/busybox:latest`]);
    expect(image.repoDigests).toEqual([`${name}/busybox@${guarded.images.busybox.digest}`]);
    expect((await images.status(`${name}/busybox`))?.id).toBe(image.id);
  });
});

import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { connect, type CriClient } from '@shimkit/cri-types';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createShim, type Shim } from '../../shim/create-shim.js';
import { createFakes, type Fakes } from '../../testing/fakes.js';
import { imageStoreModule } from './image-store-module.js';
import { removeRoot, startRegistryFixture, tempRoot, type RegistryFixture } from './registry-fixture.test-helper.js';

const user = { username: `kubelet${process.pid}`, password: 'pull-secret' };
let guarded: RegistryFixture;
let dir: string;
let shim: Shim;
let fakes: Fakes;
let cri: CriClient;

beforeAll(async () => {
  guarded = await startRegistryFixture({ auth: user });
});
afterAll(async () => {
  await guarded?.close();
});
beforeEach(async () => {
  dir = await tempRoot();
  fakes = createFakes();
  shim = await createShim({
    socket: join(dir, 'cri.sock'),
    root: join(dir, 'root'),
    state: join(dir, 'state'),
    modules: [...fakes.modules, imageStoreModule({ registry: { retry: { attempts: 1 } } })],
  });
  cri = await connect(`unix://${shim.socket}`);
});
afterEach(async () => {
  await cri?.close();
  await shim?.close();
  await removeRoot(dir);
});

describe('ImageStoreBackend behind the CRI socket', () => {
  it('pulls with the AuthConfig and keeps one image id across Pull, Status, List, ContainerStatus; the rootfs is real', async () => {
    const image = { image: guarded.images.busybox.reference };
    await expect(cri.image.pullImage({ image })).rejects.toMatchObject({ code: 'Unauthenticated' });
    await expect(cri.image.pullImage({ image, auth: { ...user, password: 'wrong' } })).rejects.toMatchObject({ code: 'Unauthenticated' });
    const { imageRef } = await cri.image.pullImage({ image, auth: { ...user, serverAddress: guarded.registry.host } });
    expect(imageRef).toBe(guarded.images.busybox.configDigest);

    for (const ref of [image.image, guarded.images.busybox.canonical, imageRef]) {
      expect((await cri.image.imageStatus({ image: { image: ref } })).image, ref).toMatchObject({
        id: imageRef,
        repoTags: [image.image],
        repoDigests: [guarded.images.busybox.canonical],
        username: '',
      });
    }
    expect((await cri.image.listImages({})).images.map((i) => i.id)).toEqual([imageRef]);
    const fs = await cri.image.imageFsInfo({});
    expect(fs.imageFilesystems[0]?.fsId?.mountpoint).toBe(join(dir, 'root', 'images'));
    expect(fs.imageFilesystems[0]?.usedBytes?.value).toBeGreaterThan(500_000n);

    const pod = { metadata: { name: 'p', namespace: 'default', uid: 'uid-p', attempt: 0 } };
    const { podSandboxId } = await cri.runtime.runPodSandbox({ config: pod });
    const { containerId } = await cri.runtime.createContainer({ podSandboxId, sandboxConfig: pod, config: { metadata: { name: 'c', attempt: 0 }, image } });
    const status = (await cri.runtime.containerStatus({ containerId })).status;
    expect([status?.imageRef, status?.imageId]).toEqual([imageRef, imageRef]);
    const rootfs = fakes.runtime.container(containerId)?.rootfs ?? '';
    expect((await stat(join(rootfs, 'bin', 'busybox'))).isFile()).toBe(true);
    expect(fakes.runtime.container(containerId)?.spec.process?.args).toEqual(['sh']);

    await cri.runtime.removeContainer({ containerId });
    await expect(stat(rootfs)).rejects.toMatchObject({ code: 'ENOENT' });
    await cri.image.removeImage({ image: { image: imageRef } });
    expect((await cri.image.imageStatus({ image })).image).toBeUndefined();
    await cri.image.removeImage({ image });
  });
});

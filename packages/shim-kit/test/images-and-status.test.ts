import { CgroupDriver, connect, type CriClient } from '@shimkit/cri-types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeShim, type FakeShim } from '../src/testing.js';
import { containerConfig, podConfig } from './cri-fixtures.js';

describe('ImageService, Status, RuntimeConfig and cancellation over the CRI socket', () => {
  let fake: FakeShim;
  let cri: CriClient;
  beforeEach(async () => {
    fake = await startFakeShim({ images: { strict: true } });
    cri = await connect(fake.endpoint);
  });
  afterEach(async () => {
    await cri.close();
    await fake.close();
  });

  it('pulls with the request’s AuthConfig, and keeps one image id across Pull, Status, List and ContainerStatus', async () => {
    fake.fakes.images.addRemote('registry.local:5000/team/app:v1', { auth: { username: 'alice', password: 's3cret' }, config: { architecture: 'amd64', os: 'linux', config: { Cmd: ['/app'], User: '1000' }, rootfs: { type: 'layers', diff_ids: [] } } as never });
    const image = { image: 'registry.local:5000/team/app:v1' };
    await expect(cri.image.pullImage({ image })).rejects.toMatchObject({ code: 'Unauthenticated' });
    await expect(cri.image.pullImage({ image: { image: 'registry.local:5000/team/other:v1' } })).rejects.toMatchObject({ code: 'NotFound' });
    const { imageRef } = await cri.image.pullImage({ image, auth: { username: 'alice', password: 's3cret', serverAddress: 'registry.local:5000' } });
    expect(fake.fakes.images.callsTo('pull').at(-1)?.args[1]).toEqual({ username: 'alice', password: 's3cret', serverAddress: 'registry.local:5000' });
    const status = await cri.image.imageStatus({ image, verbose: true });
    expect(status.image).toMatchObject({ id: imageRef, repoTags: ['registry.local:5000/team/app:v1'], uid: { value: 1000n }, size: 1_000_000n });
    expect(JSON.parse(status.info.info ?? '{}')).toHaveProperty('config');
    expect((await cri.image.listImages({})).images.map((i) => i.id)).toEqual([imageRef]);
    const fsInfo = await cri.image.imageFsInfo({});
    expect(fsInfo.imageFilesystems[0]).toMatchObject({ usedBytes: { value: 1_000_000n }, inodesUsed: { value: 1n } });

    const pod = podConfig('app');
    const { podSandboxId } = await cri.runtime.runPodSandbox({ config: pod });
    const { containerId } = await cri.runtime.createContainer({ podSandboxId, sandboxConfig: pod, config: containerConfig('app', { image, command: [] }) });
    const c = (await cri.runtime.containerStatus({ containerId })).status;
    expect([c?.imageRef, c?.imageId, c?.image?.image]).toEqual([imageRef, imageRef, image.image]);
    expect(fake.fakes.runtime.container(containerId)?.spec.process).toMatchObject({ args: ['/app'], user: { uid: 1000 } });
    await cri.image.removeImage({ image: { image: imageRef } });
    expect((await cri.image.imageStatus({ image })).image).toBeUndefined();
  });

  it('reports NetworkReady and RuntimeReady as the parts say, the handlers and the cgroup driver', async () => {
    fake.fakes.network.setStatus({ ready: false, reason: 'NoCNIConfig', message: 'no network config found' });
    fake.fakes.runtime.setInfo({ cgroupDriver: 'systemd', handlers: [{ name: '', recursiveReadOnlyMounts: true, userNamespaces: false }, { name: 'crun', recursiveReadOnlyMounts: false, userNamespaces: false }] });
    const status = await cri.runtime.status({ verbose: true });
    expect(status.status?.conditions).toEqual([
      { type: 'RuntimeReady', status: true, reason: '', message: '' },
      { type: 'NetworkReady', status: false, reason: 'NoCNIConfig', message: 'no network config found' },
    ]);
    expect(status.runtimeHandlers.map((h) => [h.name, h.features?.recursiveReadOnlyMounts])).toEqual([['', true], ['crun', false]]);
    expect((await cri.runtime.runtimeConfig({})).linux?.cgroupDriver).toBe(CgroupDriver.SYSTEMD);
    await cri.runtime.updateRuntimeConfig({ runtimeConfig: { networkConfig: { podCidr: '10.244.0.0/24' } } });
    expect((await cri.runtime.runPodSandbox({ config: podConfig('on-crun'), runtimeHandler: 'crun' })).podSandboxId).toMatch(/^[0-9a-f]{64}$/);
  });

  it('fails a cancelled call with Cancelled and keeps serving', async () => {
    fake.fakes.images.addImage('busybox');
    const pod = podConfig('cancel');
    const { podSandboxId } = await cri.runtime.runPodSandbox({ config: pod });
    const { containerId } = await cri.runtime.createContainer({ podSandboxId, sandboxConfig: pod, config: containerConfig('c') });
    await cri.runtime.startContainer({ containerId });
    const echo = fake.fakes.runtime.execResponder;
    fake.fakes.runtime.execResponder = (c, cmd) => (cmd[0] === 'hang' ? new Promise(() => {}) : echo(c, cmd));
    const controller = new AbortController();
    const call = cri.runtime.execSync({ containerId, cmd: ['hang'] }, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('kubelet gave up')), 50);
    await expect(call).rejects.toMatchObject({ code: 'Cancelled' });
    // The shim is still fine afterwards.
    expect((await cri.runtime.execSync({ containerId, cmd: ['echo', 'ok'] })).exitCode).toBe(0);
  });
});

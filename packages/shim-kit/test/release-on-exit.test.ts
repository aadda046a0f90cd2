import { connect, ContainerState, type CriClient } from '@shimkit/cri-types';
import { describe, expect, it, vi } from 'vitest';
import type { Fakes, FakeShim } from '../src/testing.js';
import { containerConfig, podConfig, useFakePod, useShimDir } from './cri-fixtures.js';

describe('an exited container is deleted in the runtime and its rootfs released when the exit is recorded (fake backends)', () => {
  let fake: FakeShim;
  let cri: CriClient;
  let podSandboxId: string;
  const pod = podConfig('release', { logDirectory: '/var/log/pods/release' });
  useFakePod(pod, (world) => ({ fake, cri, podSandboxId } = world));
  const create = async (name: string, start = true): Promise<string> => {
    const { containerId } = await cri.runtime.createContainer({ podSandboxId, sandboxConfig: pod, config: containerConfig(name, { logPath: `${name}.log` }) });
    if (start) await cri.runtime.startContainer({ containerId });
    return containerId;
  };
  const status = async (id: string) => (await cri.runtime.containerStatus({ containerId: id })).status;
  const released = (id: string): boolean => fake.fakes.runtime.container(id) === undefined && !fake.fakes.images.preparedRootfs().has(id);

  it('StopContainer returns with the container released; ContainerStatus still has the exit; RemoveContainer only forgets it', async () => {
    const { runtime, images } = fake.fakes;
    const id = await create('stopped');
    await cri.runtime.stopContainer({ containerId: id, timeout: 0n });
    expect(released(id)).toBe(true);
    expect(await status(id)).toMatchObject({ state: ContainerState.CONTAINER_EXITED, exitCode: 137, reason: 'Error', logPath: '/var/log/pods/release/stopped.log' });
    expect((await status(id))?.finishedAt).toBeGreaterThan(0n);
    await cri.runtime.stopContainer({ containerId: id, timeout: 0n }); // idempotent
    const before = [runtime.callsTo('removeContainer').length, images.callsTo('releaseRootfs').length];
    await cri.runtime.removeContainer({ containerId: id });
    await cri.runtime.removeContainer({ containerId: id });
    expect([runtime.callsTo('removeContainer').length, images.callsTo('releaseRootfs').length]).toEqual(before);
    await expect(cri.runtime.containerStatus({ containerId: id })).rejects.toMatchObject({ code: 'NotFound' });
  });

  it('a container that exits by itself is released once the exit monitor records it', async () => {
    fake.fakes.runtime.scriptExit('quits', { exitCode: 3, afterMs: 5 });
    const id = await create('quits');
    await vi.waitFor(() => expect(released(id)).toBe(true), { timeout: 5000, interval: 5 });
    expect(await status(id)).toMatchObject({ state: ContainerState.CONTAINER_EXITED, exitCode: 3, reason: 'Error' });
    await cri.runtime.removeContainer({ containerId: id });
    expect((await cri.runtime.listContainers({})).containers).toEqual([]);
  });

  it('RemoveContainer deletes and releases never started and still running containers itself', async () => {
    const created = await create('never-started', false);
    const running = await create('running');
    for (const id of [created, running]) {
      expect(released(id)).toBe(false);
      await cri.runtime.removeContainer({ containerId: id });
      expect(released(id)).toBe(true);
      await cri.runtime.removeContainer({ containerId: id });
    }
    expect((await cri.runtime.listContainers({})).containers).toEqual([]);
  });

  it('a failed release does not fail StopContainer; RemoveContainer does it again', async () => {
    const { runtime, images } = fake.fakes;
    const id = await create('stubborn');
    runtime.failNext('removeContainer', 'runc delete failed');
    await cri.runtime.stopContainer({ containerId: id, timeout: 0n });
    expect(await status(id)).toMatchObject({ state: ContainerState.CONTAINER_EXITED });
    expect(runtime.container(id)?.status).toBe('exited');
    expect(images.preparedRootfs().has(id)).toBe(true);
    await cri.runtime.removeContainer({ containerId: id });
    expect(released(id)).toBe(true);
  });
});

describe('release across a shim restart (fake backends, disk stores)', () => {
  let fakes: Fakes;
  const { open } = useShimDir('release', (f) => (fakes = f));

  it('an exit seen while the shim was down is released at start; one whose release failed is removed fully', async () => {
    const pod = podConfig('restart');
    const ids: Record<string, string> = {};
    {
      await using shim = await open();
      await using cri = await connect(`unix://${shim.socket}`);
      await cri.image.pullImage({ image: { image: 'busybox' } });
      ids.pod = (await cri.runtime.runPodSandbox({ config: pod })).podSandboxId;
      for (const name of ['exits-while-down', 'release-failed']) {
        ids[name] = (await cri.runtime.createContainer({ podSandboxId: ids.pod, sandboxConfig: pod, config: containerConfig(name) })).containerId;
        await cri.runtime.startContainer({ containerId: ids[name] });
      }
      fakes.runtime.failNext('removeContainer', 'runc delete failed');
      await cri.runtime.stopContainer({ containerId: ids['release-failed'] ?? '', timeout: 0n });
    }
    fakes.runtime.exitContainer(ids['exits-while-down'] ?? '', { exitCode: 7 });

    await using shim = await open();
    await using cri = await connect(`unix://${shim.socket}`);
    const status = async (name: string) => (await cri.runtime.containerStatus({ containerId: ids[name] ?? '' })).status;
    expect(await status('exits-while-down')).toMatchObject({ state: ContainerState.CONTAINER_EXITED, exitCode: 7, reason: 'Error' });
    expect(fakes.runtime.container(ids['exits-while-down'] ?? '')).toBeUndefined();
    expect(fakes.images.preparedRootfs().has(ids['exits-while-down'] ?? '')).toBe(false);
    expect(await status('release-failed')).toMatchObject({ state: ContainerState.CONTAINER_EXITED, exitCode: 137 });
    expect(fakes.runtime.container(ids['release-failed'] ?? '')?.status).toBe('exited');
    for (const name of ['exits-while-down', 'release-failed']) await cri.runtime.removeContainer({ containerId: ids[name] ?? '' });
    expect(fakes.runtime.containers()).toEqual([]);
    expect(fakes.images.preparedRootfs().size).toBe(0);
    await cri.runtime.removePodSandbox({ podSandboxId: ids.pod ?? '' });
  });
});

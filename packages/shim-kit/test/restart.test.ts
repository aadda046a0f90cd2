import { connect, ContainerState, PodSandboxState } from '@shimkit/cri-types';
import { describe, expect, it, vi } from 'vitest';
import type { Fakes } from '../src/testing.js';
import { containerConfig, podConfig, useShimDir } from './cri-fixtures.js';

describe('restart: state reloaded from disk and reconciled with the runtime', () => {
  let fakes: Fakes;
  const { open } = useShimDir('restart', (f) => (fakes = f));

  it('lists every pod and container again; exits while down report their real code; lost containers report 255, broken pods not ready', async () => {
    const pod = podConfig('survivor');
    const ids: Record<string, string> = {};
    {
      await using shim = await open();
      await using cri = await connect(`unix://${shim.socket}`);
      await cri.image.pullImage({ image: { image: 'busybox' } });
      ids.pod = (await cri.runtime.runPodSandbox({ config: pod })).podSandboxId;
      ids.broken = (await cri.runtime.runPodSandbox({ config: podConfig('broken') })).podSandboxId;
      for (const name of ['keeps-running', 'exits-while-down', 'lost', 'never-started']) {
        ids[name] = (await cri.runtime.createContainer({ podSandboxId: ids.pod, sandboxConfig: pod, config: containerConfig(name) })).containerId;
        if (name !== 'never-started') await cri.runtime.startContainer({ containerId: ids[name] });
      }
    }
    // While the shim is down:
    fakes.runtime.exitContainer(ids['exits-while-down'] ?? '', { exitCode: 7 });
    await fakes.runtime.removeContainer(ids.lost ?? '');
    fakes.runtime.breakSandbox(ids.broken ?? '');

    await using shim = await open();
    await using cri = await connect(`unix://${shim.socket}`);
    const sandboxes = (await cri.runtime.listPodSandbox({})).items;
    expect(sandboxes.map((s) => [s.id, s.state])).toEqual([[ids.pod, PodSandboxState.SANDBOX_READY], [ids.broken, PodSandboxState.SANDBOX_NOTREADY]]);
    const status = async (name: string) => (await cri.runtime.containerStatus({ containerId: ids[name] ?? '' })).status;
    expect(await status('keeps-running')).toMatchObject({ state: ContainerState.CONTAINER_RUNNING });
    expect(await status('exits-while-down')).toMatchObject({ state: ContainerState.CONTAINER_EXITED, exitCode: 7, reason: 'Error' });
    expect(await status('lost')).toMatchObject({ state: ContainerState.CONTAINER_EXITED, exitCode: 255, message: 'container is gone from the runtime' });
    expect(await status('never-started')).toMatchObject({ state: ContainerState.CONTAINER_CREATED });
    expect((await status('keeps-running'))?.startedAt).toBeGreaterThan(0n);

    // The new shim hears exits, and names stay taken across the restart.
    fakes.runtime.exitContainer(ids['keeps-running'] ?? '', { exitCode: 0 });
    await vi.waitFor(async () => expect((await status('keeps-running'))?.reason).toBe('Completed'), { timeout: 5000, interval: 10 });
    await expect(cri.runtime.runPodSandbox({ config: pod })).rejects.toMatchObject({ code: 'AlreadyExists' });
    await cri.runtime.removePodSandbox({ podSandboxId: ids.pod ?? '' });
    await cri.runtime.removePodSandbox({ podSandboxId: ids.broken ?? '' });
    expect(fakes.runtime.containers()).toEqual([]);
    expect(fakes.runtime.sandboxes()).toEqual([]);
  });
});

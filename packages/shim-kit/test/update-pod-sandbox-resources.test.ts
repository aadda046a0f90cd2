import { connect, type CriClient } from '@shimkit/cri-types';
import { afterEach, describe, expect, it } from 'vitest';
import type { Shim } from '../src/shim/create-shim.js';
import type { Fakes } from '../src/testing.js';
import { podConfig, useShimDir } from './cri-fixtures.js';

describe('UpdatePodSandboxResources', () => {
  let fakes: Fakes;
  const shimDir = useShimDir('pod-resources', (f) => (fakes = f));
  let shim: Shim | undefined;
  let cri: CriClient | undefined;
  const open = async (): Promise<CriClient> => {
    shim = await shimDir.open();
    cri = await connect(`unix://${shim.socket}`);
    return cri;
  };
  const close = async (): Promise<void> => {
    await cri?.close();
    await shim?.close();
    cri = undefined;
    shim = undefined;
  };
  afterEach(close);

  const overhead = { cpuShares: 25n, memoryLimitInBytes: 64n << 20n };
  const resources = { cpuPeriod: 100_000n, cpuQuota: 150_000n, cpuShares: 1536n, memoryLimitInBytes: 1n << 30n, cpusetCpus: '0-1' };

  it('records the overhead and resources kubelet reports on the sandbox, kept on disk across a restart', async () => {
    const client = await open();
    const { podSandboxId } = await client.runtime.runPodSandbox({ config: podConfig('resized') });
    expect(shim?.services.sandboxes.get(podSandboxId)?.resources).toBeUndefined();

    expect(await client.runtime.updatePodSandboxResources({ podSandboxId, overhead, resources })).toEqual({});
    expect(shim?.services.sandboxes.get(podSandboxId)?.resources).toEqual({
      overhead: expect.objectContaining(overhead),
      resources: expect.objectContaining(resources),
    });
    // the runtime is not asked to do anything: kubelet resizes the pod cgroup itself
    expect(fakes.runtime.calls.map((c) => c.method)).not.toContain('updateResources');

    // a later report replaces the earlier one; a pod without overhead sends none
    await client.runtime.updatePodSandboxResources({ podSandboxId, resources: { ...resources, cpuShares: 512n } });
    expect(shim?.services.sandboxes.get(podSandboxId)?.resources).toEqual({ resources: expect.objectContaining({ ...resources, cpuShares: 512n }) });

    await close();
    const again = await open();
    expect(shim?.services.sandboxes.get(podSandboxId)?.resources?.resources).toMatchObject({ cpuShares: 512n, memoryLimitInBytes: 1n << 30n, cpusetCpus: '0-1' });
    // a stopped pod still takes the report, as containerd and CRI-O do
    await again.runtime.stopPodSandbox({ podSandboxId });
    await again.runtime.updatePodSandboxResources({ podSandboxId, resources });
    expect(shim?.services.sandboxes.get(podSandboxId)?.resources?.resources).toMatchObject({ cpuShares: 1536n });
    await again.runtime.removePodSandbox({ podSandboxId });
  });

  it('answers InvalidArgument without a pod sandbox id and NotFound for an unknown one', async () => {
    const client = await open();
    await expect(client.runtime.updatePodSandboxResources({ resources })).rejects.toMatchObject({ code: 'InvalidArgument', message: expect.stringContaining('pod sandbox id') });
    await expect(client.runtime.updatePodSandboxResources({ podSandboxId: 'nope', resources })).rejects.toMatchObject({ code: 'NotFound', message: expect.stringContaining('nope') });
  });
});

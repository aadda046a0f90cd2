import type { CriClient } from '@shimkit/cri-types';
import { describe, expect, it } from 'vitest';
import { containerConfig, podConfig, useFakeShim } from './cri-fixtures.js';

describe('list filters take a unique id prefix, as containerd does (fake backends)', () => {
  let cri: CriClient;
  useFakeShim((world) => ({ cri } = world));

  it('ListPodSandbox, ListContainers and ListContainerStats resolve a prefix naming one record; others match nothing', async () => {
    const pods = [podConfig('one'), podConfig('two')];
    const podIds: string[] = [];
    const containerIds: string[] = [];
    for (const pod of pods) {
      const { podSandboxId } = await cri.runtime.runPodSandbox({ config: pod });
      podIds.push(podSandboxId);
      containerIds.push((await cri.runtime.createContainer({ podSandboxId, sandboxConfig: pod, config: containerConfig('c') })).containerId);
    }
    const [pod0 = '', pod1 = ''] = podIds;
    const [c0 = '', c1 = ''] = containerIds;
    // the shortest prefix naming one record, and the longest shared by both (ids are random hex)
    const unique = (a: string, b: string): string => a.slice(0, [...a].findIndex((ch, i) => ch !== b[i]) + 1);
    const shared = (a: string, b: string): string => a.slice(0, [...a].findIndex((ch, i) => ch !== b[i]));

    expect((await cri.runtime.listPodSandbox({ filter: { id: unique(pod0, pod1) } })).items.map((s) => s.id)).toEqual([pod0]);
    expect((await cri.runtime.listPodSandbox({ filter: { id: pod1.slice(0, 40) } })).items.map((s) => s.id)).toEqual([pod1]);
    expect((await cri.runtime.listPodSandbox({ filter: { id: pod1 } })).items.map((s) => s.id)).toEqual([pod1]);
    expect((await cri.runtime.listPodSandbox({ filter: { id: `${pod1}0` } })).items).toEqual([]);
    expect((await cri.runtime.listPodSandbox({ filter: { id: 'not-hex' } })).items).toEqual([]);

    expect((await cri.runtime.listContainers({ filter: { id: unique(c1, c0) } })).containers.map((c) => c.id)).toEqual([c1]);
    expect((await cri.runtime.listContainers({ filter: { podSandboxId: unique(pod0, pod1) } })).containers.map((c) => c.id)).toEqual([c0]);
    expect((await cri.runtime.listContainers({ filter: { id: c0.slice(0, 12), podSandboxId: pod1.slice(0, 12) } })).containers).toEqual([]);
    expect((await cri.runtime.listContainerStats({ filter: { id: c0.slice(0, 20) } })).stats.map((s) => s.attributes?.id)).toEqual([c0]);
    if (shared(c0, c1) !== '') expect((await cri.runtime.listContainers({ filter: { id: shared(c0, c1) } })).containers).toEqual([]);
    if (shared(pod0, pod1) !== '') expect((await cri.runtime.listPodSandbox({ filter: { id: shared(pod0, pod1) } })).items).toEqual([]);
  });

  it('status, stop and remove take a unique id prefix too (crictl sends ids as typed); an ambiguous one names nothing', async () => {
    const pods = [podConfig('p'), podConfig('q')];
    const ids = [];
    for (const pod of pods) {
      const { podSandboxId } = await cri.runtime.runPodSandbox({ config: pod });
      const { containerId } = await cri.runtime.createContainer({ podSandboxId, sandboxConfig: pod, config: containerConfig('c') });
      ids.push({ podSandboxId, containerId });
    }
    const [a = { podSandboxId: '', containerId: '' }, b = { podSandboxId: '', containerId: '' }] = ids;
    const unique = (x: string, y: string): string => x.slice(0, [...x].findIndex((ch, i) => ch !== y[i]) + 1);
    expect((await cri.runtime.containerStatus({ containerId: unique(a.containerId, b.containerId) })).status?.id).toBe(a.containerId);
    const shared = a.containerId.slice(0, unique(a.containerId, b.containerId).length - 1);
    if (shared !== '') await expect(cri.runtime.containerStatus({ containerId: shared })).rejects.toMatchObject({ code: 'NotFound' });
    expect((await cri.runtime.podSandboxStatus({ podSandboxId: unique(b.podSandboxId, a.podSandboxId) })).status?.id).toBe(b.podSandboxId);
    await cri.runtime.removeContainer({ containerId: unique(a.containerId, b.containerId) });
    await expect(cri.runtime.containerStatus({ containerId: a.containerId })).rejects.toMatchObject({ code: 'NotFound' });
    await cri.runtime.stopPodSandbox({ podSandboxId: unique(a.podSandboxId, b.podSandboxId) });
    await cri.runtime.removePodSandbox({ podSandboxId: unique(a.podSandboxId, b.podSandboxId) });
    await expect(cri.runtime.podSandboxStatus({ podSandboxId: a.podSandboxId })).rejects.toMatchObject({ code: 'NotFound' });
    // one record left of each: any prefix of its id is unique now, a longer string is not a prefix
    expect((await cri.runtime.containerStatus({ containerId: b.containerId.slice(0, 6) })).status?.id).toBe(b.containerId);
    await expect(cri.runtime.containerStatus({ containerId: `${b.containerId}0` })).rejects.toMatchObject({ code: 'NotFound' });
  });
});

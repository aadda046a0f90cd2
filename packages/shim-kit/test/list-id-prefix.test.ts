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
});

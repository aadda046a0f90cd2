import {
  connect,
  ContainerEventType,
  ContainerState,
  PodSandboxState,
  type ContainerEventResponse,
  type ContainerFilter,
  type CriClient,
  type DeepPartial,
  type PodSandboxFilter,
} from '@shimkit/cri-types';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startFakeShim, type FakeShim } from '../src/testing.js';
import { collect, containerConfig, podConfig } from './cri-fixtures.js';

describe('list filters, Stream* RPCs and container events', () => {
  let fake: FakeShim;
  let cri: CriClient;
  beforeEach(async () => {
    fake = await startFakeShim({ shim: { streamChunkSize: 2 } });
    cri = await connect(fake.endpoint);
    await cri.image.pullImage({ image: { image: 'busybox' } });
  });
  afterEach(async () => {
    await cri.close();
    await fake.close();
  });

  it('filters sandboxes and containers by id, state, sandbox and labels, and streams them in chunks', async () => {
    const pods = ['a', 'b', 'c'].map((name) => podConfig(name, { labels: { app: name, tier: name === 'c' ? 'db' : 'web' } }));
    const ids: string[] = [];
    for (const config of pods) ids.push((await cri.runtime.runPodSandbox({ config })).podSandboxId);
    const [a = '', b = '', c = ''] = ids;
    await cri.runtime.stopPodSandbox({ podSandboxId: c });

    const sandboxIds = async (filter: DeepPartial<PodSandboxFilter> | undefined) =>
      (await cri.runtime.listPodSandbox({ filter })).items.map((i) => i.id);
    expect(await sandboxIds(undefined)).toEqual([a, b, c]);
    expect(await sandboxIds({ id: b })).toEqual([b]);
    expect(await sandboxIds({ state: { state: PodSandboxState.SANDBOX_NOTREADY } })).toEqual([c]);
    expect(await sandboxIds({ labelSelector: { tier: 'web' } })).toEqual([a, b]);
    expect(await sandboxIds({ labelSelector: { tier: 'web', app: 'b' } })).toEqual([b]);
    expect(await sandboxIds({ labelSelector: { tier: 'none' } })).toEqual([]);

    const containerIds: Record<string, string> = {};
    for (const [pod, name] of [[a, 'x'], [a, 'y'], [b, 'z']] as const) {
      const config = pods[ids.indexOf(pod)];
      containerIds[name] = (await cri.runtime.createContainer({ podSandboxId: pod, sandboxConfig: config, config: containerConfig(name) })).containerId;
    }
    await cri.runtime.startContainer({ containerId: containerIds.y ?? '' });
    const listed = async (filter: DeepPartial<ContainerFilter> | undefined) =>
      (await cri.runtime.listContainers({ filter })).containers.map((x) => x.metadata?.name);
    expect(await listed(undefined)).toEqual(['x', 'y', 'z']);
    expect(await listed({ podSandboxId: a })).toEqual(['x', 'y']);
    expect(await listed({ state: { state: ContainerState.CONTAINER_RUNNING } })).toEqual(['y']);
    expect(await listed({ id: containerIds.z ?? '' })).toEqual(['z']);
    expect(await listed({ labelSelector: { container: 'x' } })).toEqual(['x']);
    expect(await listed({ podSandboxId: a, state: { state: ContainerState.CONTAINER_CREATED } })).toEqual(['x']);
    const running = (await cri.runtime.listContainers({ filter: { state: { state: ContainerState.CONTAINER_RUNNING } } })).containers[0];
    expect(running).toMatchObject({ podSandboxId: a, imageRef: expect.stringMatching(/^sha256:/), image: { image: 'busybox' } });

    const sandboxChunks = await collect(cri.runtime.streamPodSandboxes({}));
    expect(sandboxChunks.map((m) => m.podSandboxes.length)).toEqual([2, 1]);
    const containerChunks = await collect(cri.runtime.streamContainers({ filter: { podSandboxId: a } }));
    expect(containerChunks.flatMap((m) => m.containers.map((x) => x.metadata?.name))).toEqual(['x', 'y']);
    expect(await collect(cri.runtime.streamContainers({ filter: { labelSelector: { none: 'x' } } }))).toEqual([]);
    const statChunks = await collect(cri.runtime.streamContainerStats({}));
    expect(statChunks.flatMap((m) => m.containerStats.map((s) => s.attributes?.metadata?.name))).toEqual(['x', 'y', 'z']);
    const listStats = await cri.runtime.listContainerStats({ filter: { podSandboxId: a } });
    expect(listStats.stats.find((s) => s.attributes?.metadata?.name === 'y')?.memory?.workingSetBytes?.value).toBe(1_048_576n);
    const podStats = await collect(cri.runtime.streamPodSandboxStats({ filter: { labelSelector: { tier: 'web' } } }));
    expect(podStats.flatMap((m) => m.podSandboxStats.map((s) => s.attributes?.id))).toEqual([a, b]);
    const images = await collect(cri.image.streamImages({}));
    expect(images.flatMap((m) => m.images.map((i) => i.repoTags[0]))).toEqual(['docker.io/library/busybox:latest']);
    expect((await cri.image.listImages({ filter: { image: { image: 'busybox' } } })).images).toHaveLength(1);
    expect((await cri.image.listImages({ filter: { image: { image: 'alpine' } } })).images).toHaveLength(0);
    const metricChunks = await collect(cri.runtime.streamPodSandboxMetrics({}));
    expect(metricChunks.map((m) => m.podSandboxMetrics.map((p) => p.podSandboxId))).toEqual([[a, b]]);
  });

  it('streams CREATED, STARTED, STOPPED and DELETED events with the pod and container statuses', async () => {
    const controller = new AbortController();
    const events: ContainerEventResponse[] = [];
    const reading = (async () => {
      try {
        for await (const e of cri.runtime.getContainerEvents({}, { signal: controller.signal })) events.push(e);
      } catch (e) {
        if (!controller.signal.aborted) throw e;
      }
    })();
    await vi.waitFor(() => expect(fake.shim.services.events).toHaveProperty('subscriberCount', 1), { timeout: 5000, interval: 10 });
    const pod = podConfig('ev');
    const { podSandboxId } = await cri.runtime.runPodSandbox({ config: pod });
    const { containerId } = await cri.runtime.createContainer({ podSandboxId, sandboxConfig: pod, config: containerConfig('c') });
    await cri.runtime.startContainer({ containerId });
    fake.fakes.runtime.exitContainer(containerId, { exitCode: 42 });
    await vi.waitFor(() => expect(events).toHaveLength(3), { timeout: 5000, interval: 10 });
    await cri.runtime.removeContainer({ containerId });
    await vi.waitFor(() => expect(events).toHaveLength(4), { timeout: 5000, interval: 10 });
    controller.abort();
    await reading;

    expect(events.map((e) => e.containerEventType)).toEqual([
      ContainerEventType.CONTAINER_CREATED_EVENT,
      ContainerEventType.CONTAINER_STARTED_EVENT,
      ContainerEventType.CONTAINER_STOPPED_EVENT,
      ContainerEventType.CONTAINER_DELETED_EVENT,
    ]);
    expect(events.every((e) => e.containerId === containerId && e.createdAt > 0n)).toBe(true);
    expect(events[0]?.podSandboxStatus?.id).toBe(podSandboxId);
    expect(events[2]?.containersStatuses[0]).toMatchObject({ id: containerId, exitCode: 42, reason: 'Error', state: ContainerState.CONTAINER_EXITED });
    expect(events[3]?.containersStatuses).toEqual([]);
    await vi.waitFor(() => expect(fake.shim.services.events).toHaveProperty('subscriberCount', 0), { timeout: 5000, interval: 10 });
  });
});

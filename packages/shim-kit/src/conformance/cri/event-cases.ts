import { ContainerEventType, type ContainerEventResponse } from '@shimkit/cri-types';
import { expect, vi } from 'vitest';
import { criCase, type CriSuite } from './cri-suite-context.js';

const { CONTAINER_CREATED_EVENT, CONTAINER_STARTED_EVENT, CONTAINER_STOPPED_EVENT, CONTAINER_DELETED_EVENT } = ContainerEventType;

/** GetContainerEvents: the stream evented PLEG in kubelet follows. */
export function eventCases(suite: CriSuite): void {
  criCase(suite, 'container-events', 'GetContainerEvents streams created, started, stopped and deleted events of a container', async () => {
    const events: ContainerEventResponse[] = [];
    const abort = new AbortController();
    const reading = (async () => {
      for await (const e of suite.cri().runtime.getContainerEvents({}, { signal: abort.signal })) events.push(e);
    })().catch(() => undefined);
    try {
      const pod = await suite.runPod();
      // give the stream a moment to be registered on the server before anything happens
      await new Promise((resolve) => setTimeout(resolve, 200));
      const id = await suite.startContainer(pod);
      await suite.cri().runtime.stopContainer({ containerId: id, timeout: 0n });
      await suite.cri().runtime.removeContainer({ containerId: id });
      const types = (): ContainerEventType[] => events.filter((e) => e.containerId === id).map((e) => e.containerEventType);
      await vi.waitFor(() => expect(types()).toEqual([CONTAINER_CREATED_EVENT, CONTAINER_STARTED_EVENT, CONTAINER_STOPPED_EVENT, CONTAINER_DELETED_EVENT]), {
        timeout: suite.timeoutMs,
        interval: 50,
      });
      const started = events.find((e) => e.containerId === id && e.containerEventType === CONTAINER_STARTED_EVENT);
      expect(started?.createdAt, 'event time in ns').toBeGreaterThan(0n);
      expect(started?.podSandboxStatus?.id).toBe(pod.id);
    } finally {
      abort.abort();
      await reading;
    }
  });
}

import { isIP } from 'node:net';
import { PodSandboxState } from '@shimkit/cri-types';
import { expect } from 'vitest';
import { criCase, failsWith, type CriSuite } from './cri-suite-context.js';

const { SANDBOX_READY, SANDBOX_NOTREADY } = PodSandboxState;

/** RunPodSandbox, PodSandboxStatus, ListPodSandbox, StopPodSandbox and RemovePodSandbox. */
export function sandboxCases(suite: CriSuite): void {
  criCase(suite, 'sandbox-lifecycle', 'runs a pod (ready, its metadata, creation time, an IP), stops it (not ready) and removes it (NotFound)', async () => {
    const { runtime } = suite.cri();
    const before = BigInt(Date.now() - 1000) * 1_000_000n;
    const pod = await suite.runPod({ labels: { tier: 'conformance' }, annotations: { note: 'kept' } });
    const { status } = await runtime.podSandboxStatus({ podSandboxId: pod.id });
    expect(status?.id).toBe(pod.id);
    expect(status?.state).toBe(SANDBOX_READY);
    expect(status?.runtimeHandler, 'the handler the pod asked for').toBe(suite.options.runtimeHandler ?? '');
    expect(status?.metadata).toMatchObject(pod.config.metadata ?? {});
    expect(status?.labels).toMatchObject({ tier: 'conformance' });
    expect(status?.annotations).toMatchObject({ note: 'kept' });
    expect(status?.createdAt, 'createdAt in ns').toBeGreaterThan(before);
    if (suite.options.hostNetwork !== true) expect(isIP(status?.network?.ip ?? ''), `pod IP ${status?.network?.ip}`).not.toBe(0);
    expect((await runtime.listPodSandbox({ filter: { id: pod.id } })).items[0]).toMatchObject({ id: pod.id, state: SANDBOX_READY, runtimeHandler: suite.options.runtimeHandler ?? '' });
    await runtime.stopPodSandbox({ podSandboxId: pod.id });
    expect((await runtime.podSandboxStatus({ podSandboxId: pod.id })).status?.state).toBe(SANDBOX_NOTREADY);
    await runtime.removePodSandbox({ podSandboxId: pod.id });
    await expect(runtime.podSandboxStatus({ podSandboxId: pod.id })).rejects.toSatisfy(failsWith('NotFound'));
    expect((await runtime.listPodSandbox({})).items.map((p) => p.id)).not.toContain(pod.id);
  });

  criCase(suite, 'sandbox-list-filters', 'ListPodSandbox filters by id, state and label selector', async () => {
    const { runtime } = suite.cri();
    const a = await suite.runPod({ labels: { group: suite.name('g'), side: 'a' } });
    const group = String(a.config.labels?.['group']);
    const b = await suite.runPod({ labels: { group, side: 'b' } });
    await runtime.stopPodSandbox({ podSandboxId: b.id });
    const ids = async (filter: object): Promise<string[]> => (await runtime.listPodSandbox({ filter })).items.map((p) => p.id).sort();
    expect(await ids({ labelSelector: { group } })).toEqual([a.id, b.id].sort());
    expect(await ids({ labelSelector: { group, side: 'b' } })).toEqual([b.id]);
    expect(await ids({ id: a.id })).toEqual([a.id]);
    expect(await ids({ labelSelector: { group }, state: { state: SANDBOX_READY } })).toEqual([a.id]);
    expect(await ids({ labelSelector: { group }, state: { state: SANDBOX_NOTREADY } })).toEqual([b.id]);
    expect(await ids({ id: 'no-such-pod-conformance' })).toEqual([]);
  });

  criCase(suite, 'sandbox-idempotent', 'stops a pod twice and removes it twice without error; removing a running pod stops it', async () => {
    const { runtime } = suite.cri();
    const pod = await suite.runPod();
    await suite.startContainer(pod);
    await runtime.stopPodSandbox({ podSandboxId: pod.id });
    await runtime.stopPodSandbox({ podSandboxId: pod.id });
    await runtime.removePodSandbox({ podSandboxId: pod.id });
    await runtime.removePodSandbox({ podSandboxId: pod.id });
    const running = await suite.runPod();
    const container = await suite.startContainer(running);
    await runtime.removePodSandbox({ podSandboxId: running.id });
    await expect(runtime.containerStatus({ containerId: container })).rejects.toSatisfy(failsWith('NotFound'));
  });

  criCase(suite, 'sandbox-stop-removed', 'StopPodSandbox of a pod already removed succeeds (nothing is left to reclaim)', async () => {
    const { runtime } = suite.cri();
    const pod = await suite.runPod();
    await runtime.stopPodSandbox({ podSandboxId: pod.id });
    await runtime.removePodSandbox({ podSandboxId: pod.id });
    await runtime.stopPodSandbox({ podSandboxId: pod.id });
  });
}

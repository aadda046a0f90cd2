import { ContainerState } from '@shimkit/cri-types';
import { expect } from 'vitest';
import { criCase, failsWith, type CriSuite } from './cri-suite-context.js';

const { CONTAINER_CREATED, CONTAINER_RUNNING, CONTAINER_EXITED } = ContainerState;

/** Waits until the container answers an exec, so its workload has had time to set up its signal handling (without exec: nothing to wait for). */
async function settled(suite: CriSuite, containerId: string): Promise<void> {
  if (suite.abilities.exec) expect((await suite.cri().runtime.execSync({ containerId, cmd: ['true'], timeout: 20n })).exitCode).toBe(0);
}

/** CreateContainer, StartContainer, ContainerStatus, ListContainers, StopContainer, RemoveContainer. */
export function containerCases(suite: CriSuite): void {
  criCase(suite, 'container-lifecycle', 'creates (CREATED), starts (RUNNING), stops with the stop signal (EXITED, its code) and removes a container', async () => {
    const { runtime } = suite.cri();
    const pod = await suite.runPod();
    // a container that cannot handle the stop signal ends by it: 128 + SIGTERM
    const trap = suite.workloads.trapTerm;
    const id = await suite.createContainer(pod, trap === null ? suite.workloads.sleep : trap(0), { labels: { role: 'main' }, annotations: { note: 'kept' } });
    const created = (await runtime.containerStatus({ containerId: id })).status;
    expect(created).toMatchObject({ id, state: CONTAINER_CREATED, labels: { role: 'main' }, annotations: { note: 'kept' } });
    expect(created?.createdAt).toBeGreaterThan(0n);
    expect(created?.startedAt).toBe(0n);
    expect(created?.image?.image, 'the image it runs').not.toBe('');
    expect(created?.imageRef).not.toBe('');
    await runtime.startContainer({ containerId: id });
    await settled(suite, id);
    const running = (await runtime.containerStatus({ containerId: id })).status;
    expect(running?.state).toBe(CONTAINER_RUNNING);
    expect(running?.startedAt).toBeGreaterThanOrEqual(created?.createdAt ?? 0n);
    await runtime.stopContainer({ containerId: id, timeout: 30n });
    const exited = (await runtime.containerStatus({ containerId: id })).status;
    expect(exited).toMatchObject(trap === null ? { state: CONTAINER_EXITED, exitCode: 143, reason: 'Error' } : { state: CONTAINER_EXITED, exitCode: 0, reason: 'Completed' });
    expect(exited?.finishedAt).toBeGreaterThanOrEqual(running?.startedAt ?? 0n);
    await runtime.removeContainer({ containerId: id });
    await expect(runtime.containerStatus({ containerId: id })).rejects.toSatisfy(failsWith('NotFound'));
    expect((await runtime.listContainers({ filter: { podSandboxId: pod.id } })).containers).toEqual([]);
  });

  criCase(suite, 'container-list-filters', 'ListContainers filters by id, pod, state and label selector', async () => {
    const { runtime } = suite.cri();
    const pod = await suite.runPod();
    const other = await suite.runPod();
    const running = await suite.startContainer(pod, undefined, { labels: { role: 'running' } });
    const created = await suite.createContainer(pod, undefined, { labels: { role: 'created' } });
    const elsewhere = await suite.createContainer(other);
    const ids = async (filter: object): Promise<string[]> => (await runtime.listContainers({ filter })).containers.map((c) => c.id).sort();
    expect(await ids({ podSandboxId: pod.id })).toEqual([running, created].sort());
    expect(await ids({ podSandboxId: other.id })).toEqual([elsewhere]);
    expect(await ids({ id: created })).toEqual([created]);
    expect(await ids({ podSandboxId: pod.id, state: { state: CONTAINER_RUNNING } })).toEqual([running]);
    expect(await ids({ podSandboxId: pod.id, state: { state: CONTAINER_CREATED } })).toEqual([created]);
    expect(await ids({ podSandboxId: pod.id, labelSelector: { role: 'running' } })).toEqual([running]);
    const listed = (await runtime.listContainers({ filter: { id: running } })).containers[0];
    expect(listed).toMatchObject({ id: running, podSandboxId: pod.id, state: CONTAINER_RUNNING, labels: { role: 'running' } });
  });

  criCase(suite, 'container-exit-reasons', 'reports exit code and reason of containers that end by themselves: 0 Completed, 3 Error', async () => {
    const pod = await suite.runPod();
    const ok = await suite.startContainer(pod, suite.workloads.exit(0));
    const failed = await suite.startContainer(pod, suite.workloads.exit(3));
    expect(await suite.exited(ok)).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(await suite.exited(failed)).toMatchObject({ exitCode: 3, reason: 'Error' });
  });

  criCase(suite, 'container-oom', 'reports a container its memory limit killed as OOMKilled with code 137', async () => {
    const pod = await suite.runPod();
    const { command, memoryLimitBytes } = suite.workloads.oom;
    const id = await suite.startContainer(pod, command, { linux: { resources: { memoryLimitInBytes: BigInt(memoryLimitBytes) } } });
    expect(await suite.exited(id)).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
  });

  criCase(suite, 'container-idempotent', 'stops and removes a container twice; stopping an exited one keeps its code; SIGKILL after the timeout', async () => {
    const { runtime } = suite.cri();
    const pod = await suite.runPod();
    // it ignores SIGTERM: the timeout has to end it with SIGKILL (one that cannot handle signals ends by SIGTERM)
    const ignoreTerm = suite.workloads.ignoreTerm;
    const stubborn = await suite.startContainer(pod, ignoreTerm ?? suite.workloads.sleep);
    await settled(suite, stubborn);
    await runtime.stopContainer({ containerId: stubborn, timeout: 1n });
    expect((await runtime.containerStatus({ containerId: stubborn })).status).toMatchObject({ state: CONTAINER_EXITED, exitCode: ignoreTerm === null ? 143 : 137 });
    await runtime.stopContainer({ containerId: stubborn, timeout: 1n });
    const done = await suite.startContainer(pod, suite.workloads.exit(4));
    await suite.exited(done);
    await runtime.stopContainer({ containerId: done, timeout: 10n });
    expect((await runtime.containerStatus({ containerId: done })).status).toMatchObject({ exitCode: 4, reason: 'Error' });
    for (const id of [stubborn, done]) {
      await runtime.removeContainer({ containerId: id });
      await runtime.removeContainer({ containerId: id });
    }
    const running = await suite.startContainer(pod);
    await runtime.removeContainer({ containerId: running });
    await expect(runtime.containerStatus({ containerId: running })).rejects.toSatisfy(failsWith('NotFound'));
  });

  criCase(suite, 'container-stdin', 'creates a container with stdin (a handler that cannot connect it refuses: InvalidArgument naming it)', async () => {
    const { runtime } = suite.cri();
    const pod = await suite.runPod();
    if (!suite.abilities.stdin) {
      await expect(suite.createContainer(pod, undefined, { stdin: true })).rejects.toSatisfy(suite.refusedByHandler('InvalidArgument'));
      expect((await runtime.listContainers({ filter: { podSandboxId: pod.id } })).containers, 'nothing left of the refused container').toEqual([]);
      return;
    }
    const id = await suite.createContainer(pod, undefined, { stdin: true });
    expect((await runtime.containerStatus({ containerId: id })).status?.state).toBe(CONTAINER_CREATED);
  });
}

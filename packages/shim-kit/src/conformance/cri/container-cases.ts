import { ContainerState } from '@shimkit/cri-types';
import { expect } from 'vitest';
import { criCase, failsWith, type CriSuite } from './cri-suite-context.js';

const { CONTAINER_CREATED, CONTAINER_RUNNING, CONTAINER_EXITED } = ContainerState;

// kubelet's shell that handles SIGTERM: the sleep runs in the background so the trap fires at once
const TRAP_TERM = (code: number): string[] => ['sh', '-c', `trap 'exit ${code}' TERM; while :; do sleep 3600 & wait $!; done`];

/** CreateContainer, StartContainer, ContainerStatus, ListContainers, StopContainer, RemoveContainer. */
export function containerCases(suite: CriSuite): void {
  criCase(suite, 'container-lifecycle', 'creates (CREATED), starts (RUNNING), stops with the stop signal (EXITED, its code) and removes a container', async () => {
    const { runtime } = suite.cri();
    const pod = await suite.runPod();
    const id = await suite.createContainer(pod, TRAP_TERM(0), { labels: { role: 'main' }, annotations: { note: 'kept' } });
    const created = (await runtime.containerStatus({ containerId: id })).status;
    expect(created).toMatchObject({ id, state: CONTAINER_CREATED, labels: { role: 'main' }, annotations: { note: 'kept' } });
    expect(created?.createdAt).toBeGreaterThan(0n);
    expect(created?.startedAt).toBe(0n);
    expect(created?.image?.image, 'the image it runs').not.toBe('');
    expect(created?.imageRef).not.toBe('');
    await runtime.startContainer({ containerId: id });
    // an answered exec: the shell has had time to set its trap
    expect((await runtime.execSync({ containerId: id, cmd: ['true'], timeout: 20n })).exitCode).toBe(0);
    const running = (await runtime.containerStatus({ containerId: id })).status;
    expect(running?.state).toBe(CONTAINER_RUNNING);
    expect(running?.startedAt).toBeGreaterThanOrEqual(created?.createdAt ?? 0n);
    await runtime.stopContainer({ containerId: id, timeout: 30n });
    const exited = (await runtime.containerStatus({ containerId: id })).status;
    expect(exited).toMatchObject({ state: CONTAINER_EXITED, exitCode: 0, reason: 'Completed' });
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
    const ok = await suite.startContainer(pod, ['sh', '-c', 'exit 0']);
    const failed = await suite.startContainer(pod, ['sh', '-c', 'exit 3']);
    expect(await suite.exited(ok)).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(await suite.exited(failed)).toMatchObject({ exitCode: 3, reason: 'Error' });
  });

  criCase(suite, 'container-oom', 'reports a container its memory limit killed as OOMKilled with code 137', async () => {
    const pod = await suite.runPod();
    const limit = 16 * 1024 * 1024;
    const id = await suite.startContainer(pod, ['sh', '-c', `x=$(head -c ${limit * 6} /dev/zero | tr '\\0' a); echo survived`], {
      linux: { resources: { memoryLimitInBytes: BigInt(limit) } },
    });
    expect(await suite.exited(id)).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
  });

  criCase(suite, 'container-idempotent', 'stops and removes a container twice; stopping an exited one keeps its code; SIGKILL after the timeout', async () => {
    const { runtime } = suite.cri();
    const pod = await suite.runPod();
    // it ignores SIGTERM (across exec): the timeout has to end it with SIGKILL
    const stubborn = await suite.startContainer(pod, ['sh', '-c', "trap '' TERM; exec sleep 3600"]);
    expect((await runtime.execSync({ containerId: stubborn, cmd: ['true'], timeout: 20n })).exitCode).toBe(0);
    await runtime.stopContainer({ containerId: stubborn, timeout: 1n });
    expect((await runtime.containerStatus({ containerId: stubborn })).status).toMatchObject({ state: CONTAINER_EXITED, exitCode: 137 });
    await runtime.stopContainer({ containerId: stubborn, timeout: 1n });
    const done = await suite.startContainer(pod, ['sh', '-c', 'exit 4']);
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
}

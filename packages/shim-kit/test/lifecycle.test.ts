import { connect, ContainerState, PodSandboxState, Signal, type CriClient } from '@shimkit/cri-types';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { oomScoreLimits } from '@shimkit/runc-driver';
import { startFakeShim, type FakeShim } from '../src/testing.js';
import { containerConfig, podConfig } from './cri-fixtures.js';

describe('pod and container lifecycle over the CRI socket (fake backends)', () => {
  let fake: FakeShim;
  let cri: CriClient;
  beforeEach(async () => {
    fake = await startFakeShim({ shim: { restrictOomScoreAdj: true } });
    cri = await connect(fake.endpoint);
  });
  afterEach(async () => {
    await cri.close();
    await fake.close();
  });

  it('runs a pod and a container through every RPC kubelet uses, and leaves nothing behind', async () => {
    const { runtime, images, network } = fake.fakes;
    expect(await cri.runtime.version({ version: 'v1' })).toMatchObject({ runtimeName: 'shimkit', runtimeApiVersion: 'v1' });
    const status = await cri.runtime.status({});
    expect(status.status?.conditions.map((c) => [c.type, c.status])).toEqual([['RuntimeReady', true], ['NetworkReady', true]]);

    const { imageRef } = await cri.image.pullImage({ image: { image: 'busybox' } });
    expect(imageRef).toMatch(/^sha256:[0-9a-f]{64}$/);
    const imageStatus = await cri.image.imageStatus({ image: { image: 'docker.io/library/busybox:latest' } });
    expect(imageStatus.image?.id).toBe(imageRef);
    expect(imageStatus.image?.repoTags).toEqual(['docker.io/library/busybox:latest']);

    const pod = podConfig('web', { portMappings: [{ containerPort: 80, hostPort: 8080 }] });
    const { podSandboxId } = await cri.runtime.runPodSandbox({ config: pod });
    const podStatus = await cri.runtime.podSandboxStatus({ podSandboxId });
    expect(podStatus.status?.state).toBe(PodSandboxState.SANDBOX_READY);
    expect(podStatus.status?.network?.ip).toMatch(/^10\.88\./);
    expect(podStatus.status?.metadata?.name).toBe('web');
    expect(network.attachments().get(podSandboxId)?.request.portMappings).toEqual([{ protocol: 'tcp', containerPort: 80, hostPort: 8080, hostIp: '' }]);

    const { containerId } = await cri.runtime.createContainer({
      podSandboxId,
      sandboxConfig: pod,
      config: containerConfig('app', {
        mounts: [{ containerPath: '/data', hostPath: '/tmp', readonly: true }],
        linux: { resources: { memoryLimitInBytes: 64n * 1024n * 1024n, oomScoreAdj: -999n } },
      }),
    });
    const spec = runtime.container(containerId)?.spec;
    expect(spec?.process?.args).toEqual(['sleep', '3600']);
    expect(spec?.process?.env).toContain('GREETING=grüß dich');
    expect(spec?.process?.env).toContain('HOSTNAME=web');
    expect(spec?.process?.oomScoreAdj).toBe(Math.max(-999, oomScoreLimits().current));
    expect(spec?.linux?.resources?.memory?.limit).toBe(64 * 1024 * 1024);
    expect(spec?.linux?.namespaces).toContainEqual({ type: 'network', path: podStatus.status?.network === undefined ? '' : network.attachments().get(podSandboxId)?.netnsPath });
    expect(spec?.mounts).toContainEqual({ destination: '/data', type: 'bind', source: '/tmp', options: ['rbind', 'ro', 'rprivate'] });

    let c = (await cri.runtime.containerStatus({ containerId })).status;
    expect(c?.state).toBe(ContainerState.CONTAINER_CREATED);
    expect(c?.createdAt).toBeGreaterThan(0n);
    expect(c?.imageRef).toBe(imageRef);
    expect(c?.image?.image).toBe('busybox');
    expect(c?.logPath).toBe('/var/log/pods/default_web/app/0.log');
    expect(c?.mounts[0]?.containerPath).toBe('/data');

    await cri.runtime.startContainer({ containerId });
    c = (await cri.runtime.containerStatus({ containerId })).status;
    expect(c?.state).toBe(ContainerState.CONTAINER_RUNNING);
    expect(c?.startedAt).toBeGreaterThanOrEqual(c?.createdAt ?? 0n);

    const exec = await cri.runtime.execSync({ containerId, cmd: ['echo', 'hello'], timeout: 5n });
    expect(exec.stdout.toString()).toBe('hello\n');
    expect(exec.exitCode).toBe(0);

    images.setRootfsUsage(containerId, { usedBytes: 3n * 1024n * 1024n, inodesUsed: 7n });
    const stats = await cri.runtime.containerStats({ containerId });
    expect(stats.stats?.cpu?.usageCoreNanoSeconds?.value).toBeGreaterThan(0n);
    // the writable layer: what the container wrote to its rootfs (kubelet's ephemeral storage)
    expect(stats.stats?.writableLayer).toMatchObject({ usedBytes: { value: 3n * 1024n * 1024n }, inodesUsed: { value: 7n } });
    expect(stats.stats?.writableLayer?.fsId?.mountpoint).not.toBe('');
    const podStats = await cri.runtime.podSandboxStats({ podSandboxId });
    expect(podStats.stats?.linux?.containers).toHaveLength(1);

    await cri.runtime.updateContainerResources({ containerId, linux: { memoryLimitInBytes: 128n * 1024n * 1024n } });
    expect(runtime.container(containerId)?.resources.memory?.limit).toBe(128 * 1024 * 1024);
    c = (await cri.runtime.containerStatus({ containerId })).status;
    expect(c?.resources?.linux?.memoryLimitInBytes).toBe(128n * 1024n * 1024n);

    await cri.runtime.reopenContainerLog({ containerId });
    expect(runtime.container(containerId)?.logReopens).toBe(1);

    await cri.runtime.stopContainer({ containerId, timeout: 10n });
    c = (await cri.runtime.containerStatus({ containerId })).status;
    expect(c?.state).toBe(ContainerState.CONTAINER_EXITED);
    expect(c?.exitCode).toBe(143);
    expect(c?.reason).toBe('Error');
    expect(c?.finishedAt).toBeGreaterThanOrEqual(c?.startedAt ?? 0n);
    expect(runtime.callsTo('stopContainer')[0]?.args[1]).toEqual({ timeoutSeconds: 10, stopSignal: 'SIGTERM' });
    await cri.runtime.stopContainer({ containerId, timeout: 10n });

    await cri.runtime.removeContainer({ containerId });
    await cri.runtime.removeContainer({ containerId });
    expect((await cri.runtime.listContainers({})).containers).toEqual([]);
    expect(images.preparedRootfs().size).toBe(0);

    await cri.runtime.stopPodSandbox({ podSandboxId });
    await cri.runtime.stopPodSandbox({ podSandboxId });
    expect((await cri.runtime.podSandboxStatus({ podSandboxId })).status?.state).toBe(PodSandboxState.SANDBOX_NOTREADY);
    expect(network.attachments().size).toBe(0);
    expect(network.callsTo('teardown')).toHaveLength(1);

    await cri.runtime.removePodSandbox({ podSandboxId });
    await cri.runtime.removePodSandbox({ podSandboxId });
    expect((await cri.runtime.listPodSandbox({})).items).toEqual([]);
    expect(runtime.containers()).toEqual([]);
    expect(runtime.sandboxes()).toEqual([]);
  });

  it('reports scripted exits with kubelet’s reasons: Completed, Error, OOMKilled', async () => {
    const { runtime } = fake.fakes;
    runtime.scriptExit('ok', { exitCode: 0, afterMs: 10 });
    runtime.scriptExit('bad', { exitCode: 3, afterMs: 10 });
    runtime.scriptExit('oom', { exitCode: 137, afterMs: 10, oomKilled: true });
    await cri.image.pullImage({ image: { image: 'busybox' } });
    const pod = podConfig('jobs');
    const { podSandboxId } = await cri.runtime.runPodSandbox({ config: pod });
    const ids: Record<string, string> = {};
    for (const name of ['ok', 'bad', 'oom']) {
      ids[name] = (await cri.runtime.createContainer({ podSandboxId, sandboxConfig: pod, config: containerConfig(name) })).containerId;
      await cri.runtime.startContainer({ containerId: ids[name] });
    }
    const statusOf = async (name: string) => (await cri.runtime.containerStatus({ containerId: ids[name] ?? '' })).status;
    await vi.waitFor(async () => expect((await statusOf('oom'))?.state).toBe(ContainerState.CONTAINER_EXITED), { timeout: 5000, interval: 20 });
    await vi.waitFor(async () => expect((await statusOf('bad'))?.state).toBe(ContainerState.CONTAINER_EXITED), { timeout: 5000, interval: 20 });
    await vi.waitFor(async () => expect((await statusOf('ok'))?.state).toBe(ContainerState.CONTAINER_EXITED), { timeout: 5000, interval: 20 });
    expect(await statusOf('ok')).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(await statusOf('bad')).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(await statusOf('oom')).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    await cri.runtime.removePodSandbox({ podSandboxId });
    expect(runtime.containers()).toEqual([]);
  });

  it('kills with SIGKILL when the stop signal is ignored, and uses the request’s stop signal', async () => {
    const { runtime } = fake.fakes;
    runtime.ignoreStopSignal('stubborn');
    await cri.image.pullImage({ image: { image: 'busybox' } });
    const pod = podConfig('stops');
    const { podSandboxId } = await cri.runtime.runPodSandbox({ config: pod });
    const stubborn = (await cri.runtime.createContainer({ podSandboxId, sandboxConfig: pod, config: containerConfig('stubborn') })).containerId;
    const quits = (await cri.runtime.createContainer({ podSandboxId, sandboxConfig: pod, config: containerConfig('quits', { stopSignal: Signal.SIGNAL_SIGQUIT }) })).containerId;
    for (const containerId of [stubborn, quits]) await cri.runtime.startContainer({ containerId });
    await cri.runtime.stopContainer({ containerId: stubborn, timeout: 1n });
    await cri.runtime.stopContainer({ containerId: quits, timeout: 1n });
    expect((await cri.runtime.containerStatus({ containerId: stubborn })).status?.exitCode).toBe(137);
    expect(runtime.callsTo('stopContainer').map((c) => (c.args[1] as { stopSignal: string }).stopSignal)).toEqual(['SIGTERM', 'SIGQUIT']);
    expect((await cri.runtime.containerStatus({ containerId: quits })).status?.exitCode).toBe(131);
  });

  it('answers DeadlineExceeded when ExecSync times out, and caps output at the configured size', async () => {
    const { runtime } = fake.fakes;
    await cri.image.pullImage({ image: { image: 'busybox' } });
    const pod = podConfig('execs');
    const { podSandboxId } = await cri.runtime.runPodSandbox({ config: pod });
    const { containerId } = await cri.runtime.createContainer({ podSandboxId, sandboxConfig: pod, config: containerConfig('app') });
    await cri.runtime.startContainer({ containerId });
    runtime.execResponder = async (_c, cmd) => {
      if (cmd[0] === 'sleep') await new Promise((r) => setTimeout(r, 5000));
      return { stdout: Buffer.alloc(17 * 1024 * 1024, 'x'), exitCode: 2 };
    };
    await expect(cri.runtime.execSync({ containerId, cmd: ['sleep', '5'], timeout: 1n })).rejects.toMatchObject({ code: 'DeadlineExceeded' });
    const big = await cri.runtime.execSync({ containerId, cmd: ['yes'], timeout: 5n }, { timeoutMs: 20_000 });
    expect(big.exitCode).toBe(2);
    expect(big.stdout.length).toBeLessThan(16 * 1024 * 1024);
    expect(big.stdout.length).toBeGreaterThan(16 * 1024 * 1024 - 4096);
  });
});

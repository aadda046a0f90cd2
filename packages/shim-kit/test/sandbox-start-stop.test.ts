import { NamespaceMode, type CriClient } from '@shimkit/cri-types';
import { describe, expect, it, vi } from 'vitest';
import { ShimError } from '../src/errors.js';
import type { FakeShim } from '../src/testing.js';
import { containerConfig, podConfig, useFakeShim } from './cri-fixtures.js';

describe('RunPodSandbox and StopPodSandbox run the sandbox and the network side by side (fake backends)', () => {
  let fake: FakeShim;
  let cri: CriClient;
  useFakeShim((world) => ({ fake, cri } = world));

  const netnsArgOfRunSandbox = (id: string): unknown =>
    (fake.fakes.runtime.callsTo('runSandbox').find((c) => (c.args[0] as { id: string }).id === id)?.args[0] as { netnsPath?: string } | undefined)?.netnsPath;

  it('starts both at once; containers still join the pod network namespace', async () => {
    const { runtime, network } = fake.fakes;
    const pod = podConfig('parallel');
    const { podSandboxId } = await cri.runtime.runPodSandbox({ config: pod });
    expect(netnsArgOfRunSandbox(podSandboxId)).toBeUndefined();
    const netnsPath = network.attachments().get(podSandboxId)?.netnsPath;
    expect(netnsPath).toBeDefined();
    const status = await cri.runtime.podSandboxStatus({ podSandboxId, verbose: true });
    expect(JSON.parse(status.info.info ?? '{}')).toMatchObject({ netnsPath, namespaces: { network: netnsPath } });
    const { containerId } = await cri.runtime.createContainer({ podSandboxId, sandboxConfig: pod, config: containerConfig('c') });
    expect(runtime.container(containerId)?.spec.linux?.namespaces).toContainEqual({ type: 'network', path: netnsPath });
  });

  it('sets the network up first when the sandbox needs its namespace (net.* sysctls, an infra process)', async () => {
    const { network } = fake.fakes;
    const withSysctl = await cri.runtime.runPodSandbox({ config: podConfig('sysctl', { linux: { sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0' } } }) });
    expect(netnsArgOfRunSandbox(withSysctl.podSandboxId)).toBe(network.attachments().get(withSysctl.podSandboxId)?.netnsPath);
    const sharedPid = await cri.runtime.runPodSandbox({ config: podConfig('pidns', { linux: { securityContext: { namespaceOptions: { pid: NamespaceMode.POD } } } }) });
    expect(netnsArgOfRunSandbox(sharedPid.podSandboxId)).toBe(network.attachments().get(sharedPid.podSandboxId)?.netnsPath);
    const hostNet = await cri.runtime.runPodSandbox({ config: podConfig('hostnet', { linux: { securityContext: { namespaceOptions: { network: NamespaceMode.NODE } } } }) });
    expect(netnsArgOfRunSandbox(hostNet.podSandboxId)).toBeUndefined();
    expect(network.attachments().has(hostNet.podSandboxId)).toBe(false);
  });

  it('a backend that does not say it can start without the network gets the netns path first', async () => {
    const { runtime, network } = fake.fakes;
    // an adapter backend without sandboxNeedsNetns: the safe contract, network first
    Object.defineProperty(runtime, 'sandboxNeedsNetns', { value: undefined });
    const { podSandboxId } = await cri.runtime.runPodSandbox({ config: podConfig('adapter') });
    expect(netnsArgOfRunSandbox(podSandboxId)).toBe(network.attachments().get(podSandboxId)?.netnsPath);
  });

  it('a failed network setup removes the sandbox; a failed sandbox start tears the network down; nothing is left', async () => {
    const { runtime, network } = fake.fakes;
    network.failNext('setup', new ShimError('Unavailable', 'bridge plugin failed'));
    await expect(cri.runtime.runPodSandbox({ config: podConfig('no-net') })).rejects.toMatchObject({ code: 'Unavailable', message: expect.stringContaining('bridge plugin failed') });
    expect(runtime.sandboxes()).toEqual([]);
    expect(network.attachments().size).toBe(0);
    expect(runtime.callsTo('removeSandbox')).toHaveLength(1);

    runtime.failNext('runSandbox', new ShimError('Unavailable', 'runc is missing'));
    await expect(cri.runtime.runPodSandbox({ config: podConfig('no-sandbox') })).rejects.toMatchObject({ code: 'Unavailable', message: expect.stringContaining('runc is missing') });
    expect(runtime.sandboxes()).toEqual([]);
    expect(network.attachments().size).toBe(0);

    network.failNext('setup', 'bridge plugin failed');
    runtime.failNext('runSandbox', 'runc is missing');
    await expect(cri.runtime.runPodSandbox({ config: podConfig('neither') })).rejects.toMatchObject({ message: expect.stringContaining('bridge plugin failed') });
    expect(runtime.sandboxes()).toEqual([]);
    expect(network.attachments().size).toBe(0);
    expect((await cri.runtime.listPodSandbox({})).items).toEqual([]);
    // the name is free again
    expect((await cri.runtime.runPodSandbox({ config: podConfig('no-net') })).podSandboxId).toMatch(/^[0-9a-f]{64}$/);
  });

  it('StopPodSandbox stops the containers before the sandbox and the network go', async () => {
    const { runtime, network } = fake.fakes;
    const pod = podConfig('stopping');
    const { podSandboxId } = await cri.runtime.runPodSandbox({ config: pod });
    const { containerId } = await cri.runtime.createContainer({ podSandboxId, sandboxConfig: pod, config: containerConfig('c') });
    await cri.runtime.startContainer({ containerId });
    const log: string[] = [];
    const stopSandbox = runtime.stopSandbox.bind(runtime);
    vi.spyOn(runtime, 'stopSandbox').mockImplementation(async (...args) => {
      log.push(`stopSandbox with the container ${runtime.container(containerId)?.status ?? 'gone'}`);
      await stopSandbox(...args);
      log.push('stopSandbox done');
    });
    const teardown = network.teardown.bind(network);
    vi.spyOn(network, 'teardown').mockImplementation(async (...args) => {
      log.push(`teardown with the container ${runtime.container(containerId)?.status ?? 'gone'}`);
      await teardown(...args);
      log.push('teardown done');
    });
    await cri.runtime.stopPodSandbox({ podSandboxId });
    expect(log.slice(0, 2).sort()).toEqual(['stopSandbox with the container gone', 'teardown with the container gone']);
    expect(log.slice(2).sort()).toEqual(['stopSandbox done', 'teardown done']);
    vi.restoreAllMocks();
    expect(runtime.container(containerId)).toBeUndefined(); // deleted in the runtime once its exit was recorded
    expect(network.attachments().has(podSandboxId)).toBe(false);
    expect((await cri.runtime.podSandboxStatus({ podSandboxId })).status?.state).toBe(1);

    // a failing stop of the sandbox fails the call but the network still went; the retry succeeds
    const second = await cri.runtime.runPodSandbox({ config: podConfig('stop-fails') });
    runtime.failNext('stopSandbox', 'umount failed');
    await expect(cri.runtime.stopPodSandbox({ podSandboxId: second.podSandboxId })).rejects.toMatchObject({ message: expect.stringContaining('umount failed') });
    expect(network.attachments().has(second.podSandboxId)).toBe(false);
    await cri.runtime.stopPodSandbox({ podSandboxId: second.podSandboxId });
    await cri.runtime.removePodSandbox({ podSandboxId: second.podSandboxId });
    await cri.runtime.removePodSandbox({ podSandboxId });
    expect(runtime.sandboxes()).toEqual([]);
  });
});

import { connect, type CriClient } from '@shimkit/cri-types';
import { describe, expect, it } from 'vitest';
import { ShimError } from '../src/errors.js';
import type { ContainerRecord } from '../src/interfaces/container-record.js';
import { provide } from '../src/shim/modules.js';
import { MemoryContainerStore } from '../src/store/stores.js';
import { Tokens } from '../src/tokens.js';
import { FakeRuntimeBackend, startFakeShim, type FakeShim } from '../src/testing.js';
import { codeOf, containerConfig, podConfig, useFakePod } from './cri-fixtures.js';

describe('bad requests get the gRPC code kubelet expects', () => {
  let fake: FakeShim;
  let cri: CriClient;
  let podSandboxId: string;
  const pod = podConfig('bad');
  useFakePod(pod, (world) => ({ fake, cri, podSandboxId } = world));

  it('InvalidArgument for missing config, metadata, name, image, ids and commands, naming the field', async () => {
    await expect(cri.runtime.runPodSandbox({})).rejects.toThrow(/config is required/);
    expect(await codeOf(cri.runtime.runPodSandbox({ config: { hostname: 'x' } }))).toBe('InvalidArgument');
    expect(await codeOf(cri.runtime.runPodSandbox({ config: { metadata: { namespace: 'ns' } } }))).toBe('InvalidArgument');
    expect(await codeOf(cri.runtime.createContainer({ podSandboxId }))).toBe('InvalidArgument');
    expect(await codeOf(cri.runtime.createContainer({ podSandboxId, config: { image: { image: 'busybox' } } }))).toBe('InvalidArgument');
    await expect(cri.runtime.createContainer({ podSandboxId, config: { metadata: { name: 'c' } } })).rejects.toThrow(/config.image is required/);
    expect(await codeOf(cri.runtime.createContainer({ podSandboxId, config: { metadata: { name: 'c' }, image: { image: '' } } }))).toBe('InvalidArgument');
    expect(await codeOf(cri.runtime.containerStatus({ containerId: '' }))).toBe('InvalidArgument');
    expect(await codeOf(cri.runtime.podSandboxStatus({ podSandboxId: '' }))).toBe('InvalidArgument');
    expect(await codeOf(cri.image.pullImage({}))).toBe('InvalidArgument');
    expect(await codeOf(cri.image.imageStatus({ image: { image: '' } }))).toBe('InvalidArgument');
    expect(await codeOf(cri.image.pullImage({ image: { image: 'busybox/UPPER' } }))).toBe('InvalidArgument');
    expect(await codeOf(cri.runtime.runPodSandbox({ config: podConfig('h'), runtimeHandler: 'kata' }))).toBe('InvalidArgument');
  });

  it('InvalidArgument for container configs the spec cannot express', async () => {
    const create = (name: string, extra: Parameters<typeof containerConfig>[1]) =>
      codeOf(cri.runtime.createContainer({ podSandboxId, sandboxConfig: pod, config: containerConfig(name, extra) }));
    expect(await create('env', { envs: [{ key: 'BAD', value: Buffer.from([0xff, 0xfe]) }] })).toBe('InvalidArgument');
    expect(await create('envname', { envs: [{ key: 'A=B', value: Buffer.from('x') }] })).toBe('InvalidArgument');
    expect(await create('mount', { mounts: [{ containerPath: 'relative', hostPath: '/tmp' }] })).toBe('InvalidArgument');
    expect(await create('priv', { linux: { securityContext: { privileged: true } } })).toBe('InvalidArgument');
    expect(await create('cap', { linux: { securityContext: { capabilities: { addCapabilities: ['CAP_NOPE'] } } } })).toBe('InvalidArgument');
    expect(await create('seccomp', { linux: { securityContext: { seccomp: { profileType: 2, localhostRef: '/nonexistent/profile.json' } } } })).toBe('InvalidArgument');
    expect(await create('dev', { devices: [{ containerPath: '/dev/x', hostPath: '/etc/hostname', permissions: 'rw' }] })).toBe('InvalidArgument');
    expect(await create('nocmd', { command: [], args: [] })).toBe('OK'); // the image's Cmd
    // Nothing half-made is left: names are free again, no rootfs is held.
    expect(fake.fakes.images.preparedRootfs().size).toBe(1);
    expect(await create('env', {})).toBe('OK');
  });

  it('NotFound for unknown ids and images; Stop* and Remove* succeed for what is already gone (they are idempotent)', async () => {
    expect(await codeOf(cri.runtime.podSandboxStatus({ podSandboxId: 'nope' }))).toBe('NotFound');
    expect(await codeOf(cri.runtime.stopPodSandbox({ podSandboxId: 'nope' }))).toBe('OK');
    expect(await codeOf(cri.runtime.stopPodSandbox({ podSandboxId: '' }))).toBe('InvalidArgument');
    expect(await codeOf(cri.runtime.removePodSandbox({ podSandboxId: 'nope' }))).toBe('OK');
    expect(await codeOf(cri.runtime.stopContainer({ containerId: 'nope' }))).toBe('OK');
    expect(await codeOf(cri.runtime.stopContainer({ containerId: '' }))).toBe('InvalidArgument');
    expect(await codeOf(cri.runtime.createContainer({ podSandboxId: 'nope', config: containerConfig('c') }))).toBe('NotFound');
    for (const call of [
      cri.runtime.containerStatus({ containerId: 'nope' }),
      cri.runtime.startContainer({ containerId: 'nope' }),
      cri.runtime.execSync({ containerId: 'nope', cmd: ['true'] }),
      cri.runtime.containerStats({ containerId: 'nope' }),
      cri.runtime.updateContainerResources({ containerId: 'nope' }),
      cri.runtime.reopenContainerLog({ containerId: 'nope' }),
      cri.runtime.podSandboxStats({ podSandboxId: 'nope' }),
    ]) {
      expect(await codeOf(call)).toBe('NotFound');
    }
    expect(await codeOf(cri.runtime.removeContainer({ containerId: 'nope' }))).toBe('OK');
    expect(await codeOf(cri.runtime.createContainer({ podSandboxId, config: containerConfig('c', { image: { image: 'never-pulled' } }) }))).toBe('NotFound');
    expect((await cri.image.imageStatus({ image: { image: 'never-pulled' } })).image).toBeUndefined();
    expect(await codeOf(cri.image.removeImage({ image: { image: 'never-pulled' } }))).toBe('OK');
  });

  it('AlreadyExists for a duplicate pod or container name (name, namespace, uid, attempt)', async () => {
    expect(await codeOf(cri.runtime.runPodSandbox({ config: pod }))).toBe('AlreadyExists');
    expect(await codeOf(cri.runtime.runPodSandbox({ config: { ...pod, metadata: { ...pod.metadata, attempt: 1 } } }))).toBe('OK');
    await cri.runtime.createContainer({ podSandboxId, sandboxConfig: pod, config: containerConfig('c') });
    await expect(cri.runtime.createContainer({ podSandboxId, sandboxConfig: pod, config: containerConfig('c') })).rejects.toMatchObject({ code: 'AlreadyExists' });
    expect(await codeOf(cri.runtime.createContainer({ podSandboxId, sandboxConfig: pod, config: containerConfig('c', { metadata: { name: 'c', attempt: 1 } }) }))).toBe('OK');
    const twins = await Promise.all([0, 1].map(() => codeOf(cri.runtime.runPodSandbox({ config: podConfig('twin') }))));
    expect(twins.sort()).toEqual(['AlreadyExists', 'OK']);
  });

  it('FailedPrecondition for calls the container’s state forbids', async () => {
    const { containerId } = await cri.runtime.createContainer({ podSandboxId, sandboxConfig: pod, config: containerConfig('c') });
    expect(await codeOf(cri.runtime.execSync({ containerId, cmd: ['true'] }))).toBe('FailedPrecondition');
    expect(await codeOf(cri.runtime.reopenContainerLog({ containerId }))).toBe('FailedPrecondition');
    await cri.runtime.startContainer({ containerId });
    expect(await codeOf(cri.runtime.startContainer({ containerId }))).toBe('FailedPrecondition');
    expect(await codeOf(cri.runtime.execSync({ containerId, cmd: [] }))).toBe('InvalidArgument');
    await cri.runtime.stopPodSandbox({ podSandboxId });
    expect(await codeOf(cri.runtime.createContainer({ podSandboxId, sandboxConfig: pod, config: containerConfig('late') }))).toBe('FailedPrecondition');
    expect(await codeOf(cri.runtime.updateContainerResources({ containerId, linux: { cpuShares: 2n } }))).toBe('FailedPrecondition');
  });

  it('Unimplemented only for what the backend cannot do', async () => {
    expect(await codeOf(cri.runtime.checkpointContainer({ containerId: 'x' }))).toBe('Unimplemented');
    // A backend without reopenContainerLog, swapped in with one module:
    const runtime = new FakeRuntimeBackend({ supportsLogReopen: false });
    await using other = await startFakeShim({ modules: [provide(Tokens.RuntimeBackend, runtime)] });
    await using client = await connect(other.endpoint);
    await client.image.pullImage({ image: { image: 'busybox' } });
    const id = (await client.runtime.runPodSandbox({ config: pod })).podSandboxId;
    const { containerId } = await client.runtime.createContainer({ podSandboxId: id, sandboxConfig: pod, config: containerConfig('c') });
    await client.runtime.startContainer({ containerId });
    expect(runtime.container(containerId)?.status).toBe('running');
    expect(fake.fakes.runtime.containers()).toEqual([]);
    await expect(client.runtime.reopenContainerLog({ containerId })).rejects.toMatchObject({ code: 'Unimplemented', message: expect.stringContaining('cannot reopen') });
  });

  it('a container record that cannot be stored undoes the runtime container and the rootfs', async () => {
    class FullDisk extends MemoryContainerStore {
      override add(_record: ContainerRecord): Promise<void> {
        return Promise.reject(new ShimError('ResourceExhausted', 'no space left for the record'));
      }
    }
    await using other = await startFakeShim({ modules: [provide(Tokens.ContainerStore, new FullDisk())] });
    await using client = await connect(other.endpoint);
    await client.image.pullImage({ image: { image: 'busybox' } });
    const id = (await client.runtime.runPodSandbox({ config: pod })).podSandboxId;
    await expect(client.runtime.createContainer({ podSandboxId: id, sandboxConfig: pod, config: containerConfig('c') })).rejects.toMatchObject({
      code: 'ResourceExhausted',
      message: expect.stringContaining('no space left'),
    });
    expect(other.fakes.runtime.callsTo('createContainer')).toHaveLength(1);
    expect(other.fakes.runtime.containers()).toEqual([]);
    expect(other.fakes.images.preparedRootfs().size).toBe(0);
    expect((await client.runtime.listContainers({})).containers).toEqual([]);
  });

  it('backend failures keep their code and undo what was done; teardown failures never fail Stop or Remove', async () => {
    const { runtime, network, images } = fake.fakes;
    runtime.failNext('runSandbox', new ShimError('Unavailable', 'runc is missing'));
    await expect(cri.runtime.runPodSandbox({ config: podConfig('retry') })).rejects.toMatchObject({ code: 'Unavailable', message: expect.stringContaining('runc is missing') });
    expect(network.attachments().size).toBe(1); // only the pod from beforeEach
    expect(await codeOf(cri.runtime.runPodSandbox({ config: podConfig('retry') }))).toBe('OK');

    runtime.failNext('createContainer', new Error('boom'));
    expect(await codeOf(cri.runtime.createContainer({ podSandboxId, sandboxConfig: pod, config: containerConfig('c') }))).toBe('Unknown');
    expect(images.preparedRootfs().size).toBe(0);
    expect((await cri.runtime.listContainers({})).containers).toEqual([]);
    expect(await codeOf(cri.runtime.createContainer({ podSandboxId, sandboxConfig: pod, config: containerConfig('c') }))).toBe('OK');
    images.failNext('prepareRootfs', new ShimError('Unavailable', 'no space left for a rootfs'));
    await expect(cri.runtime.createContainer({ podSandboxId, sandboxConfig: pod, config: containerConfig('d') })).rejects.toMatchObject({
      code: 'Unavailable',
      message: expect.stringContaining('no space left for a rootfs'),
    });
    expect(images.preparedRootfs().size).toBe(1);
    expect((await cri.runtime.listContainers({})).containers).toHaveLength(1);

    images.failNext('list', new ShimError('Unavailable', 'image store is locked'));
    const stream = async () => {
      for await (const _ of cri.image.streamImages({})) void _;
    };
    await expect(stream()).rejects.toMatchObject({ code: 'Unavailable', message: expect.stringContaining('image store is locked') });

    network.failNext('teardown', 'cni plugin crashed');
    await cri.runtime.stopPodSandbox({ podSandboxId });
    expect(network.attachments().has(podSandboxId)).toBe(true);
    await cri.runtime.removePodSandbox({ podSandboxId });
    expect(network.callsTo('teardown').filter((c) => (c.args[0] as { sandboxId: string }).sandboxId === podSandboxId)).toHaveLength(2);
    expect(network.attachments().has(podSandboxId)).toBe(false);
  });
});

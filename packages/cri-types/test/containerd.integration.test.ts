// Our CRI client against a real, independent CRI server: containerd 1.6 from the
// test bed, pulling test images from a local registry.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  isClean,
  leftovers,
  pushTestImages,
  startContainerd,
  startRegistry,
  type Containerd,
  type Registry,
  type TestImages,
} from '@shimkit/test-bed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connect,
  ContainerState,
  isCriError,
  NamespaceMode,
  PodSandboxState,
  Protocol,
  type ContainerConfig,
  type ContainerStatus,
  type CriClient,
  type DeepPartial,
  type PodSandboxConfig,
} from '../src/index.js';

let registry: Registry;
let images: TestImages;
let containerd: Containerd;
let cri: CriClient;

beforeAll(async () => {
  registry = await startRegistry();
  images = await pushTestImages(registry);
  containerd = await startContainerd({ registry, pauseImage: images.pause.reference });
  cri = await connect(containerd.endpoint, { defaultTimeoutMs: 30_000 });
});

afterAll(async () => {
  await cri?.close();
  await containerd?.close();
  await registry?.close();
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitForExit(containerId: string): Promise<ContainerStatus> {
  for (let i = 0; i < 100; i++) {
    const { status } = await cri.runtime.containerStatus({ containerId });
    if (status?.state === ContainerState.CONTAINER_EXITED) return status;
    await sleep(100);
  }
  throw new Error(`container ${containerId} did not exit within 10 s`);
}

describe('CRI client against containerd', () => {
  it('Version names containerd and CRI v1', async () => {
    const v = await cri.runtime.version({ version: 'v1' });
    expect(v.runtimeName).toBe('containerd');
    expect(v.runtimeVersion).toMatch(/^1\.6\./);
    expect(v.runtimeApiVersion).toBe('v1');
  });

  it('Status reports the runtime and the network ready', async () => {
    const { status } = await cri.runtime.status({});
    const conditions = Object.fromEntries((status?.conditions ?? []).map((c) => [c.type, c.status]));
    expect(conditions).toMatchObject({ RuntimeReady: true, NetworkReady: true });
  });

  it('ImageFsInfo reports the image filesystem inside containerd root', async () => {
    const { imageFilesystems } = await cri.image.imageFsInfo({});
    expect(imageFilesystems.length).toBeGreaterThan(0);
    const fs = imageFilesystems[0];
    expect(fs?.fsId?.mountpoint.startsWith(containerd.root)).toBe(true);
    expect(typeof fs?.timestamp).toBe('bigint');
  });

  it('PullImage, ListImages, ImageStatus, RemoveImage', async () => {
    const { imageRef } = await cri.image.pullImage({ image: { image: images.busybox.reference } });
    expect(imageRef).toBe(images.busybox.configDigest);

    const { images: listed } = await cri.image.listImages({});
    const mine = listed.find((i) => i.id === imageRef);
    expect(mine?.repoTags).toContain(images.busybox.reference);
    expect(mine?.repoDigests).toContain(images.busybox.canonical);

    const { image } = await cri.image.imageStatus({ image: { image: images.busybox.reference } });
    expect(image?.id).toBe(imageRef);
    expect(image?.size).toBeGreaterThan(0n);

    await cri.image.removeImage({ image: { image: imageRef } });
    const after = await cri.image.imageStatus({ image: { image: images.busybox.reference } });
    expect(after.image).toBeUndefined();
  });

  it('runs a pod and busybox containers through their whole lifecycle', async () => {
    await cri.image.pullImage({ image: { image: images.busybox.reference } });
    const logDirectory = join(containerd.dir, 'pod-logs');
    const podConfig: DeepPartial<PodSandboxConfig> = {
      metadata: { name: 'it-pod', uid: `uid-${containerd.id}`, namespace: 'shimkit-test', attempt: 0 },
      hostname: 'it-pod',
      logDirectory,
      // Like kubelet without shareProcessNamespace: each container is PID 1 of its own namespace.
      linux: { cgroupParent: containerd.cgroupParent, securityContext: { namespaceOptions: { pid: NamespaceMode.CONTAINER } } },
    };
    const { podSandboxId } = await cri.runtime.runPodSandbox({ config: podConfig });
    const pod = await cri.runtime.podSandboxStatus({ podSandboxId });
    expect(pod.status?.state).toBe(PodSandboxState.SANDBOX_READY);
    const ip = pod.status?.network?.ip ?? '';
    expect(ip.startsWith(containerd.subnet.replace(/0\/24$/, ''))).toBe(true);

    const container = (name: string, command: string): DeepPartial<ContainerConfig> => ({
      metadata: { name },
      image: { image: images.busybox.reference },
      command: ['sh', '-c', command],
      envs: [{ key: 'GREETING', value: Buffer.from('hi there') }],
      logPath: `${name}.log`,
      linux: { securityContext: { namespaceOptions: { pid: NamespaceMode.CONTAINER } } },
    });

    // A long runner: sleep is PID 1 and ignores SIGTERM, so a stop ends in SIGKILL.
    const { containerId: runner } = await cri.runtime.createContainer({
      podSandboxId,
      config: container('runner', 'echo "started $GREETING"; exec sleep 1000'),
      sandboxConfig: podConfig,
    });
    expect((await cri.runtime.containerStatus({ containerId: runner })).status?.state).toBe(ContainerState.CONTAINER_CREATED);
    await cri.runtime.startContainer({ containerId: runner });
    const running = await cri.runtime.containerStatus({ containerId: runner });
    expect(running.status?.state).toBe(ContainerState.CONTAINER_RUNNING);
    expect(running.status?.startedAt).toBeGreaterThan(0n);

    const hello = await cri.runtime.execSync({ containerId: runner, cmd: ['echo', 'hello'], timeout: 10n });
    expect(hello.exitCode).toBe(0);
    expect(hello.stdout.toString()).toBe('hello\n');
    const failing = await cri.runtime.execSync({ containerId: runner, cmd: ['sh', '-c', 'echo oops >&2; exit 7'], timeout: 10n });
    expect(failing.exitCode).toBe(7);
    expect(failing.stderr.toString()).toBe('oops\n');

    // The CRI log file: "<time> stdout F <line>".
    const log = await readFile(join(logDirectory, 'runner.log'), 'utf8');
    expect(log).toMatch(/^\S+ stdout F started hi there$/m);

    // A container that exits on its own with code 3.
    const { containerId: quitter } = await cri.runtime.createContainer({
      podSandboxId,
      config: container('quitter', 'sleep 1; exit 3'),
      sandboxConfig: podConfig,
    });
    await cri.runtime.startContainer({ containerId: quitter });
    const quit = await waitForExit(quitter);
    expect(quit.exitCode).toBe(3);
    expect(quit.finishedAt).toBeGreaterThan(quit.startedAt);

    await cri.runtime.stopContainer({ containerId: runner, timeout: 1n });
    const stopped = await cri.runtime.containerStatus({ containerId: runner });
    expect(stopped.status?.state).toBe(ContainerState.CONTAINER_EXITED);
    expect(stopped.status?.exitCode).toBe(137);

    const listed = await cri.runtime.listContainers({ filter: { podSandboxId } });
    expect(listed.containers.map((c) => c.id).sort()).toEqual([runner, quitter].sort());
    await cri.runtime.removeContainer({ containerId: runner });
    await cri.runtime.removeContainer({ containerId: quitter });
    expect((await cri.runtime.listContainers({ filter: { podSandboxId } })).containers).toEqual([]);

    await cri.runtime.stopPodSandbox({ podSandboxId });
    expect((await cri.runtime.podSandboxStatus({ podSandboxId })).status?.state).toBe(PodSandboxState.SANDBOX_NOTREADY);
    await cri.runtime.removePodSandbox({ podSandboxId });
    const pods = await cri.runtime.listPodSandbox({});
    expect(pods.items.map((p) => p.id)).not.toContain(podSandboxId);
  });

  it('a missing container is a CriError with code NotFound', async () => {
    const err = await cri.runtime.containerStatus({ containerId: 'no-such-container' }).catch((e: unknown) => e);
    expect(isCriError(err, 'NotFound')).toBe(true);
    const removed = await cri.runtime.startContainer({ containerId: 'no-such-container' }).catch((e: unknown) => e);
    expect(isCriError(removed, 'NotFound')).toBe(true);
  });

  it('leaves nothing behind once closed, even with a pod still running', async () => {
    // Left running on purpose: close() must clean up without CRI calls, including portmap's iptables rules.
    const hostPort = await freePort();
    const podConfig: DeepPartial<PodSandboxConfig> = {
      metadata: { name: 'left-pod', uid: `left-${containerd.id}`, namespace: 'shimkit-test' },
      logDirectory: join(containerd.dir, 'left-logs'),
      linux: { cgroupParent: containerd.cgroupParent },
      portMappings: [{ protocol: Protocol.TCP, containerPort: 80, hostPort, hostIp: '127.0.0.1' }],
    };
    const { podSandboxId } = await cri.runtime.runPodSandbox({ config: podConfig });
    const { containerId } = await cri.runtime.createContainer({
      podSandboxId,
      config: { metadata: { name: 'left' }, image: { image: images.busybox.reference }, command: ['sleep', '1000'], logPath: 'left.log' },
      sandboxConfig: podConfig,
    });
    await cri.runtime.startContainer({ containerId });
    const before = await leftovers(containerd.id);
    expect(before.processes.length).toBeGreaterThan(0);
    expect(before.netns.length).toBe(1);
    expect(before.interfaces).toContain(containerd.bridge);
    expect(before.iptables.some((r) => r.includes(String(hostPort)))).toBe(true);

    await cri.close();
    await containerd.close();
    await registry.close();
    expect(await leftovers(containerd.id)).toEqual({ processes: [], mounts: [], netns: [], interfaces: [], iptables: [], files: [], cgroups: [] });
    expect(isClean(await leftovers(registry.id))).toBe(true);
  });
});

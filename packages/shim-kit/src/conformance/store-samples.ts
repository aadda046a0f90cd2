import { ContainerConfig, PodSandboxConfig } from '@shimkit/cri-types';
import type { ContainerRecord } from '../interfaces/container-record.js';
import type { SandboxRecord } from '../interfaces/sandbox-record.js';

/** A realistic sandbox record (bigint timestamps, nested CRI config) for store tests. */
export function sampleSandbox(id: string, name: string): SandboxRecord {
  return {
    id,
    name,
    state: 'ready',
    createdAt: 1_700_000_000_123_456_789n,
    runtimeHandler: '',
    config: PodSandboxConfig.fromPartial({
      metadata: { name, namespace: 'default', uid: `uid-${id}`, attempt: 0 },
      labels: { app: 'web' },
      linux: { resources: { memoryLimitInBytes: 2n ** 40n } },
    }),
    netnsPath: `/var/run/netns/${id}`,
    ips: ['10.88.0.2'],
    networkTornDown: false,
    info: { namespaces: { network: `/var/run/netns/${id}` }, mounts: [] },
  };
}

/** A realistic container record (env values as bytes) for store tests. */
export function sampleContainer(id: string, name: string): ContainerRecord {
  return {
    id,
    name,
    sandboxId: 'sandbox-1',
    state: 'created',
    createdAt: 1_700_000_000_123_456_789n,
    startedAt: 0n,
    finishedAt: 0n,
    exitCode: 0,
    reason: '',
    message: '',
    imageName: 'busybox',
    imageId: 'sha256:' + 'a'.repeat(64),
    logPath: '/var/log/pods/x/c/0.log',
    rootfs: `/run/rootfs/${id}`,
    stopSignal: 'SIGTERM',
    config: ContainerConfig.fromPartial({
      metadata: { name, attempt: 0 },
      image: { image: 'busybox' },
      envs: [{ key: 'GREETING', value: Buffer.from('grüß dich') }],
    }),
  };
}

/** A sandbox made not ready (a change that must survive a reload). */
export function stopSandboxRecord(r: SandboxRecord): SandboxRecord {
  return { ...r, state: 'notready', networkTornDown: true };
}

/** A container that ran and exited (a change that must survive a reload). */
export function exitContainerRecord(r: ContainerRecord): ContainerRecord {
  return { ...r, state: 'exited', exitCode: r.exitCode + 1, finishedAt: r.finishedAt + 1n, reason: 'Error' };
}

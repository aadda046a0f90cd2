import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerState, type ContainerConfig, type CriClient, type DeepPartial, type PodSandboxConfig } from '@shimkit/cri-types';
import { ImageStore } from '@shimkit/image-store';
import { createBusyboxRootfs } from '@shimkit/test-bed';
import { expect } from 'vitest';
import { removePodsAfterEach, useE2eShim, type E2eBed } from './e2e-bed.js';

/** critest's long-running container command. */
export const PAUSE_CMD = ['sh', '-c', 'top'];

export const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

/** A pod and the config it was made with. */
export interface CritestPod {
  podSandboxId: string;
  config: DeepPartial<PodSandboxConfig>;
}

/** What {@link useCritest} makes critest's pods and containers with. */
export interface CritestOptions {
  /** Whether pods get the bed's log directory unless `runPod` says otherwise (critest adds one only where it reads logs). */
  logs: boolean;
  /** The config of a container `name`, with `extra` on top. */
  container: (bed: E2eBed, name: string, extra: DeepPartial<ContainerConfig>) => DeepPartial<ContainerConfig>;
}

/** Pods and containers as critest makes them, on the file's e2e shim. */
export interface Critest {
  /** A pod as critest's framework builds it (no hostname), stopped and removed after the test. */
  runPod(extra?: DeepPartial<PodSandboxConfig>, withLogs?: boolean): Promise<CritestPod>;
  create(pod: CritestPod, name: string, extra?: DeepPartial<ContainerConfig>): Promise<string>;
  /** Creates and starts a container and checks that it runs. */
  startRunning(pod: CritestPod, name: string, extra?: DeepPartial<ContainerConfig>): Promise<string>;
}

/** {@link useE2eShim} with critest's pods and containers; `ready` gets the bed and the client. */
export function useCritest(options: CritestOptions, ready: (world: { bed: E2eBed; cri: CriClient }) => void): Critest {
  let bed!: E2eBed;
  let cri!: CriClient;
  const pods: string[] = [];
  useE2eShim((world) => {
    ({ bed, cri } = world);
    ready(world);
  });
  removePodsAfterEach(pods, () => cri);
  const create: Critest['create'] = async (pod, name, extra = {}) =>
    (await cri.runtime.createContainer({ podSandboxId: pod.podSandboxId, sandboxConfig: pod.config, config: options.container(bed, name, extra) })).containerId;
  return {
    async runPod(extra = {}, withLogs = options.logs) {
      const { logDirectory, ...config } = bed.pod('critest', { hostname: '', ...extra });
      const podConfig = withLogs ? { ...config, logDirectory } : config;
      const { podSandboxId } = await cri.runtime.runPodSandbox({ config: podConfig });
      pods.push(podSandboxId);
      return { podSandboxId, config: podConfig };
    },
    create,
    async startRunning(pod, name, extra = {}) {
      const containerId = await create(pod, name, extra);
      await cri.runtime.startContainer({ containerId });
      expect((await cri.runtime.containerStatus({ containerId })).status?.state).toBe(ContainerState.CONTAINER_RUNNING);
      return containerId;
    },
  };
}

/** Builds test images in a throwaway store on a busybox tree (`rootfs`, changeable) and pushes them to the bed's registry. */
export async function buildImages<T>(bed: E2eBed, build: (store: ImageStore, rootfs: string) => Promise<T>): Promise<T> {
  const work = await mkdtemp(join(tmpdir(), 'shimkit-critest-images-'));
  try {
    const rootfs = join(work, 'rootfs');
    await createBusyboxRootfs(rootfs);
    const store = await ImageStore.open({ root: join(work, 'store'), keepLayerBlobs: true, snapshotter: 'copy', registry: { hosts: { [bed.registry.host]: { plainHttp: true } } } });
    try {
      return await build(store, rootfs);
    } finally {
      await store.close();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

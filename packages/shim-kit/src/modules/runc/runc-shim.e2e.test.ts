import { hostname } from 'node:os';
import { join } from 'node:path';
import { connect, ContainerState, NamespaceMode, PodSandboxState, type CriClient } from '@shimkit/cri-types';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createShim, type Shim } from '../../shim/create-shim.js';
import { provide } from '../../shim/modules.js';
import { FakePodNetwork } from '../../testing/fake-pod-network.js';
import { Tokens } from '../../tokens.js';
import { runcConmonModule } from './runc-conmon-module.js';
import { addBusyboxImage, BusyboxImages, createRuncTestBed, logLines, type RuncTestBed } from './runc-test-bed.test-helper.js';

let bed: RuncTestBed;
beforeAll(async () => {
  bed = await createRuncTestBed('e2e');
});
afterAll(async () => {
  const left = await bed.leftovers();
  await bed.close();
  expect(left).toEqual({ containers: [], conmons: [], mounts: [] });
});

async function startShim(): Promise<{ shim: Shim; cri: CriClient; images: BusyboxImages }> {
  const images = new BusyboxImages(bed.rootfs);
  addBusyboxImage(images, 'busybox', ['sleep', '3600']);
  addBusyboxImage(images, 'pause', ['sleep', '7200']);
  const root = join(bed.dir, 'shim-state', 'runtime', 'runc');
  if (!bed.roots.includes(root)) bed.roots.push(root);
  const shim = await createShim({
    socket: join(bed.dir, 'cri.sock'),
    root: join(bed.dir, 'root'),
    state: join(bed.dir, 'shim-state'),
    modules: [runcConmonModule({ pauseImage: 'pause' }), provide(Tokens.ImageBackend, images), provide(Tokens.PodNetwork, new FakePodNetwork())],
  });
  return { shim, cri: await connect(`unix://${shim.socket}`), images };
}

describe('a shim on the runc + conmon backend (CRI over gRPC)', () => {
  it('runs a pod and containers, and keeps them across a shim restart with exits that happened meanwhile', async () => {
    let { shim, cri } = await startShim();
    const uid = bed.id('pod');
    const hostNs = { network: NamespaceMode.NODE, pid: NamespaceMode.CONTAINER, ipc: NamespaceMode.POD, targetId: '', usernsOptions: undefined };
    const { podSandboxId } = await cri.runtime.runPodSandbox({
      config: { metadata: { name: 'p', namespace: 'e2e', uid, attempt: 0 }, hostname: 'p', logDirectory: join(bed.logs, uid), linux: { cgroupParent: `/${bed.cgroupParent}`, securityContext: { namespaceOptions: hostNs } } } as never,
    });
    const container = async (name: string, args: string[]): Promise<string> => {
      const { containerId } = await cri.runtime.createContainer({
        podSandboxId,
        config: { metadata: { name, attempt: 0 }, image: { image: 'busybox' }, args, logPath: `${name}.log` } as never,
        sandboxConfig: undefined,
      } as never);
      await cri.runtime.startContainer({ containerId });
      return containerId;
    };
    const sleeper = await container('sleeper', []);
    const quitter = await container('quitter', ['sh', '-c', 'sleep 1; echo done; exit 9']);
    const exec = await cri.runtime.execSync({ containerId: sleeper, cmd: ['cat', '/etc/hostname'], timeout: 5n });
    expect(Buffer.from(exec.stdout).toString()).toBe(`${hostname()}\n`); // a host-network pod has the node's name

    await cri.close();
    await shim.close(); // containers keep running; the quitter exits while no shim runs
    await new Promise((r) => setTimeout(r, 1500));
    ({ shim, cri } = await startShim());
    try {
      const status = async (id: string) => (await cri.runtime.containerStatus({ containerId: id, verbose: false })).status;
      expect((await status(sleeper))?.state).toBe(ContainerState.CONTAINER_RUNNING);
      await vi.waitFor(async () => expect((await status(quitter))?.state).toBe(ContainerState.CONTAINER_EXITED));
      expect((await status(quitter))?.exitCode).toBe(9);
      expect((await logLines(join(bed.logs, uid, 'quitter.log'))).map((l) => l.split(' ').slice(1).join(' '))).toEqual(['stdout F done']);
      // the exit found at restart is released like any other: runc no longer has the container
      await vi.waitFor(async () => expect((await bed.leftovers()).containers).not.toContain(quitter));
      expect((await status(quitter))?.exitCode).toBe(9);
      expect((await cri.runtime.podSandboxStatus({ podSandboxId, verbose: false })).status?.state).toBe(PodSandboxState.SANDBOX_READY);

      await cri.runtime.stopContainer({ containerId: sleeper, timeout: 0n });
      expect((await status(sleeper))?.exitCode).toBe(137);
      for (const id of [sleeper, quitter]) await cri.runtime.removeContainer({ containerId: id });
      await cri.runtime.stopPodSandbox({ podSandboxId });
      await cri.runtime.stopPodSandbox({ podSandboxId });
      await cri.runtime.removePodSandbox({ podSandboxId });
      await cri.runtime.removePodSandbox({ podSandboxId });
    } finally {
      await cri.close();
      await shim.close();
    }
  });

  it('runs a pod sharing one PID namespace through its infra container', async () => {
    const { shim, cri } = await startShim();
    try {
      const uid = bed.id('pod');
      const namespaceOptions = { network: NamespaceMode.NODE, pid: NamespaceMode.POD, ipc: NamespaceMode.POD, targetId: '', usernsOptions: undefined };
      const { podSandboxId } = await cri.runtime.runPodSandbox({
        config: { metadata: { name: 'pidpod', namespace: 'e2e', uid, attempt: 0 }, logDirectory: join(bed.logs, uid), linux: { cgroupParent: `/${bed.cgroupParent}`, securityContext: { namespaceOptions } } } as never,
      });
      const ids: string[] = [];
      for (const name of ['a', 'b']) {
        const { containerId } = await cri.runtime.createContainer({
          podSandboxId,
          config: { metadata: { name, attempt: 0 }, image: { image: 'busybox' }, logPath: `${name}.log`, linux: { securityContext: { namespaceOptions } } } as never,
        } as never);
        await cri.runtime.startContainer({ containerId });
        ids.push(containerId);
      }
      const ps = await cri.runtime.execSync({ containerId: ids[0] ?? '', cmd: ['ps', '-o', 'args'], timeout: 5n });
      const seen = Buffer.from(ps.stdout).toString().split('\n');
      expect(seen.filter((l) => l === 'sleep 3600')).toHaveLength(2); // both containers
      expect(seen).toContain('sleep 7200'); // the infra process
      for (const containerId of ids) await cri.runtime.removeContainer({ containerId });
      await cri.runtime.stopPodSandbox({ podSandboxId });
      await cri.runtime.removePodSandbox({ podSandboxId });
    } finally {
      await cri.close();
      await shim.close();
    }
  });

  it('deletes a container in runc and releases its rootfs when its exit is recorded; RemoveContainer forgets it, also never started or still running ones', async () => {
    const { shim, cri, images } = await startShim();
    try {
      const uid = bed.id('pod');
      const hostNs = { network: NamespaceMode.NODE, pid: NamespaceMode.CONTAINER, ipc: NamespaceMode.POD, targetId: '', usernsOptions: undefined };
      const { podSandboxId } = await cri.runtime.runPodSandbox({
        config: { metadata: { name: 'release', namespace: 'e2e', uid, attempt: 0 }, logDirectory: join(bed.logs, uid), linux: { cgroupParent: `/${bed.cgroupParent}`, securityContext: { namespaceOptions: hostNs } } } as never,
      });
      const create = async (name: string, args: string[]): Promise<string> =>
        (
          await cri.runtime.createContainer({
            podSandboxId,
            config: { metadata: { name, attempt: 0 }, image: { image: 'busybox' }, args, logPath: `${name}.log` } as never,
          } as never)
        ).containerId;
      const inRunc = async (id: string): Promise<boolean> => (await bed.leftovers()).containers.includes(id);
      const status = async (id: string) => (await cri.runtime.containerStatus({ containerId: id, verbose: false })).status;

      const stopped = await create('stopped', []);
      const finisher = await create('finisher', ['sh', '-c', 'echo bye; exit 0']);
      const neverStarted = await create('never-started', []);
      const running = await create('running', []);
      for (const id of [stopped, finisher, running]) await cri.runtime.startContainer({ containerId: id });

      await cri.runtime.stopContainer({ containerId: stopped, timeout: 0n });
      expect(await inRunc(stopped)).toBe(false);
      expect(images.preparedRootfs().has(stopped)).toBe(false);
      expect(await status(stopped)).toMatchObject({ state: ContainerState.CONTAINER_EXITED, exitCode: 137, reason: 'Error', logPath: join(bed.logs, uid, 'stopped.log') });
      expect((await status(stopped))?.finishedAt).toBeGreaterThan(0n);

      await vi.waitFor(async () => expect(await inRunc(finisher)).toBe(false), { timeout: 10_000 });
      expect(images.preparedRootfs().has(finisher)).toBe(false);
      expect(await status(finisher)).toMatchObject({ state: ContainerState.CONTAINER_EXITED, exitCode: 0, reason: 'Completed' });
      expect((await logLines(join(bed.logs, uid, 'finisher.log'))).map((l) => l.split(' ').slice(1).join(' '))).toEqual(['stdout F bye']);

      // CreateContainer writes the bundle only: StartContainer makes the runtime's container
      expect(await inRunc(neverStarted)).toBe(false);
      expect(await status(neverStarted)).toMatchObject({ state: ContainerState.CONTAINER_CREATED });
      expect(await inRunc(running)).toBe(true);
      for (const id of [stopped, finisher, neverStarted, running]) {
        await cri.runtime.removeContainer({ containerId: id });
        await cri.runtime.removeContainer({ containerId: id });
        expect(await inRunc(id)).toBe(false);
        expect(images.preparedRootfs().has(id)).toBe(false);
      }
      expect((await cri.runtime.listContainers({})).containers).toEqual([]);
      await cri.runtime.stopPodSandbox({ podSandboxId });
      await cri.runtime.removePodSandbox({ podSandboxId });
    } finally {
      await cri.close();
      await shim.close();
    }
  });
});

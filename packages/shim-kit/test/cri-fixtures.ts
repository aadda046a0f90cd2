import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type ContainerConfig, type CriClient, type CriErrorCode, type DeepPartial, type Metric, type PodSandboxConfig } from '@shimkit/cri-types';
import { afterEach, beforeEach } from 'vitest';
import { createShim, type Shim } from '../src/shim/create-shim.js';
import { createFakes, startFakeShim, type FakeShim, type Fakes } from '../src/testing.js';

/** A pod config as kubelet sends it. */
export function podConfig(name: string, extra: DeepPartial<PodSandboxConfig> = {}): DeepPartial<PodSandboxConfig> {
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}`, attempt: 0 },
    hostname: name,
    logDirectory: `/var/log/pods/default_${name}`,
    labels: { app: name },
    ...extra,
  };
}

/** A container config as kubelet sends it (env values as bytes). */
export function containerConfig(name: string, extra: DeepPartial<ContainerConfig> = {}): DeepPartial<ContainerConfig> {
  return {
    metadata: { name, attempt: 0 },
    image: { image: 'busybox' },
    command: ['sleep', '3600'],
    envs: [{ key: 'GREETING', value: Buffer.from('grüß dich', 'utf8') }],
    logPath: `${name}/0.log`,
    labels: { container: name },
    ...extra,
  };
}

/** What {@link useFakeShim} hands each test. */
export interface FakeShimWorld {
  fake: FakeShim;
  cri: CriClient;
}

/** What {@link useFakePod} hands each test. */
export interface FakePodWorld extends FakeShimWorld {
  podSandboxId: string;
}

/**
 * Before each test of the file: a shim on fakes, a client and busybox pulled (`ready` gets
 * them); after each, the client and shim are closed.
 */
export function useFakeShim(ready: (world: FakeShimWorld) => void): void {
  let world: Partial<FakeShimWorld> = {};
  beforeEach(async () => {
    const fake = await startFakeShim();
    const cri = await connect(fake.endpoint);
    world = { fake, cri };
    await cri.image.pullImage({ image: { image: 'busybox' } });
    ready({ fake, cri });
  });
  afterEach(async () => {
    await world.cri?.close();
    await world.fake?.close();
  });
}

/** {@link useFakeShim}, and `pod` running before each test. */
export function useFakePod(pod: DeepPartial<PodSandboxConfig>, ready: (world: FakePodWorld) => void): void {
  let shim!: FakeShimWorld;
  useFakeShim((world) => (shim = world));
  beforeEach(async () => {
    const { podSandboxId } = await shim.cri.runtime.runPodSandbox({ config: pod });
    ready({ ...shim, podSandboxId });
  });
}

/** The gRPC code a CRI call failed with, or `OK`. */
export async function codeOf(p: Promise<unknown>): Promise<CriErrorCode | 'OK'> {
  try {
    await p;
    return 'OK';
  } catch (e) {
    return (e as { code: CriErrorCode }).code;
  }
}

/** Everything a streaming RPC yields. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** The metric `name` whose labels after kubelet's six pod and container labels are `extra`. */
export function findMetric(metrics: Metric[], name: string, ...extra: string[]): Metric | undefined {
  return metrics.find((m) => m.name === name && extra.every((v, i) => m.labelValues[6 + i] === v));
}

/**
 * Before each test: a temp dir and fresh fakes (`ready` gets them), which outlive any shim as
 * conmon-monitored containers do; `open()` starts a shim on that dir with disk stores, so
 * a second one finds what the first stored. The dir is removed after each test.
 */
export function useShimDir(name: string, ready: (fakes: Fakes) => void): { open(): Promise<Shim> } {
  let dir: string;
  let fakes: Fakes;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), `shimkit-${name}-${process.pid}-`));
    fakes = createFakes();
    ready(fakes);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return { open: () => createShim({ socket: join(dir, 'cri.sock'), root: join(dir, 'root'), state: join(dir, 'state'), modules: fakes.modules }) };
}

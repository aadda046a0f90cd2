import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  connect,
  ContainerState,
  isCriError,
  NamespaceMode,
  type ContainerConfig,
  type ContainerStatus,
  type CriClient,
  type CriErrorCode,
  type DeepPartial,
  type PodSandboxConfig,
} from '@shimkit/cri-types';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import type { CriCase, CriConformanceOptions, CriHandlerAbilities, CriWorkloads } from './cri-conformance-options.js';
import { BUSYBOX_CRI_WORKLOADS } from './cri-workloads.js';
import { KNOWN_DEVIATIONS } from './known-deviations.js';

/** A pod the suite made, and the config it was made with (CreateContainer needs it again). */
export interface CriPod {
  id: string;
  config: DeepPartial<PodSandboxConfig>;
}

/** What the cases of one {@link runCriConformance} run share. */
export interface CriSuite {
  readonly options: CriConformanceOptions;
  readonly timeoutMs: number;
  /** The commands containers run (the run's, else busybox's). */
  readonly workloads: CriWorkloads;
  /** What the handler's containers can do. */
  readonly abilities: Required<CriHandlerAbilities>;
  /** A check that a call failed with `code` and a message naming the run's runtime handler. */
  refusedByHandler(code: CriErrorCode): (e: unknown) => boolean;
  /** The client of the run. */
  cri(): CriClient;
  /** `runtime_name` from Version. */
  runtimeName(): string;
  image(): string;
  missingImage(): string;
  /** Host directory pods write their logs below. */
  logRoot(): string;
  /** A unique name for pods and containers of this run. */
  name(prefix: string): string;
  /** Runs a pod (stopped and removed after the test). */
  runPod(extra?: DeepPartial<PodSandboxConfig>): Promise<CriPod>;
  /** Creates a container of the image running `command` (default: the `sleep` workload). */
  createContainer(pod: CriPod, command?: string[], extra?: DeepPartial<ContainerConfig>): Promise<string>;
  /** Creates and starts a container. */
  startContainer(pod: CriPod, command?: string[], extra?: DeepPartial<ContainerConfig>): Promise<string>;
  /** Waits until the container has exited and returns its status. */
  exited(containerId: string): Promise<ContainerStatus>;
}

/** A check that a call failed with `code` (a CriError from the client). */
export const failsWith =
  (code: CriErrorCode) =>
  (e: unknown): boolean =>
    isCriError(e, code);

const value = (v: string | (() => string)): string => (typeof v === 'function' ? v() : v);

/** `host:port/name:tag@digest` without tag and digest (a port's colon is before the last slash). */
export function repositoryOf(reference: string): string {
  const named = reference.split('@')[0] ?? reference;
  const slash = named.lastIndexOf('/');
  const colon = named.lastIndexOf(':');
  return colon > slash ? named.slice(0, colon) : named;
}

/** Registers a case; at run time it is skipped with a reason when the run or the runtime's known deviations say so. */
export function criCase(suite: CriSuite, name: CriCase, title: string, body: () => Promise<void>): void {
  it(`[${name}] ${title}`, async (ctx) => {
    const reason = suite.options.skip?.[name] ?? KNOWN_DEVIATIONS[suite.runtimeName()]?.[name];
    if (reason !== undefined) ctx.skip(reason);
    await body();
  });
}

/** Connects before all cases, removes what each case made after it, and returns the shared helpers. */
export function useCriSuite(options: CriConformanceOptions): CriSuite {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const tag = `${process.pid.toString(36)}${Math.random().toString(16).slice(2, 6)}`;
  let client: CriClient | undefined;
  let runtimeName = '';
  let logRoot = '';
  let seq = 0;
  const pods: string[] = [];

  beforeAll(async () => {
    logRoot = await mkdtemp(join(tmpdir(), 'shimkit-cri-conformance-'));
    client = await connect(value(options.endpoint), { defaultTimeoutMs: timeoutMs * 3 });
    runtimeName = (await client.runtime.version({ version: 'v1' })).runtimeName;
  });
  afterEach(async () => {
    for (const podSandboxId of pods.splice(0)) {
      await client?.runtime.stopPodSandbox({ podSandboxId }).catch(() => undefined);
      await client?.runtime.removePodSandbox({ podSandboxId }).catch(() => undefined);
    }
  });
  afterAll(async () => {
    await client?.close();
    if (logRoot !== '') await rm(logRoot, { recursive: true, force: true });
  });

  const cri = (): CriClient => {
    if (client === undefined) throw new Error(`runCriConformance: not connected to ${value(options.endpoint)}`);
    return client;
  };

  const handler = options.runtimeHandler ?? '';
  const suite: CriSuite = {
    options,
    timeoutMs,
    workloads: { ...BUSYBOX_CRI_WORKLOADS, ...options.workloads },
    abilities: { exec: true, portForward: true, stdin: true, ...options.abilities },
    refusedByHandler: (code) => (e) => isCriError(e, code) && (e as Error).message.includes(`"${handler}"`),
    cri,
    runtimeName: () => runtimeName,
    image: () => value(options.image),
    missingImage: () => (options.missingImage === undefined ? `${repositoryOf(value(options.image))}:no-such-tag-${tag}` : value(options.missingImage)),
    logRoot: () => logRoot,
    name: (prefix) => `${prefix}-${tag}-${++seq}`,
    async runPod(extra = {}) {
      const name = suite.name('pod');
      const base = (typeof options.pod === 'function' ? options.pod() : options.pod) ?? {};
      const config: DeepPartial<PodSandboxConfig> = {
        ...base,
        metadata: { name, namespace: 'cri-conformance', uid: name, attempt: 0 },
        hostname: name,
        logDirectory: join(logRoot, name),
        ...extra,
        labels: { ...base.labels, 'cri-conformance': tag, ...extra.labels },
        linux: {
          ...base.linux,
          ...extra.linux,
          ...(options.hostNetwork ? { securityContext: { ...base.linux?.securityContext, ...extra.linux?.securityContext, namespaceOptions: { network: NamespaceMode.NODE } } } : {}),
        },
      };
      // kubelet makes the pod's log directory before it runs the pod
      if (config.logDirectory) await mkdir(config.logDirectory, { recursive: true });
      const { podSandboxId } = await cri().runtime.runPodSandbox({ config, runtimeHandler: options.runtimeHandler ?? '' });
      pods.push(podSandboxId);
      return { id: podSandboxId, config };
    },
    async createContainer(pod, command = suite.workloads.sleep, extra = {}) {
      const name = suite.name('ctr');
      const config: DeepPartial<ContainerConfig> = {
        ...options.container,
        metadata: { name, attempt: 0 },
        image: { image: suite.image() },
        command,
        logPath: `${name}.log`,
        ...extra,
        labels: { ...options.container?.labels, 'cri-conformance': tag, ...extra.labels },
      };
      return (await cri().runtime.createContainer({ podSandboxId: pod.id, config, sandboxConfig: pod.config })).containerId;
    },
    async startContainer(pod, command, extra) {
      const id = await suite.createContainer(pod, command, extra);
      await cri().runtime.startContainer({ containerId: id });
      return id;
    },
    async exited(containerId) {
      return vi.waitFor(
        async () => {
          const { status } = await cri().runtime.containerStatus({ containerId });
          expect(status?.state, `state of ${containerId}`).toBe(ContainerState.CONTAINER_EXITED);
          return status as ContainerStatus;
        },
        { timeout: timeoutMs, interval: 50 },
      );
    },
  };
  return suite;
}

/** Reads a container's CRI log file (on this host). */
export async function readContainerLog(pod: CriPod, logPath: string): Promise<string> {
  return readFile(join(pod.config.logDirectory ?? '', logPath), 'utf8');
}

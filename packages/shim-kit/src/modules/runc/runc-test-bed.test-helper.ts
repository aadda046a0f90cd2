import { mkdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PodSandboxConfig } from '@shimkit/cri-types';
import { RuntimeSpecBuilder, defaultLinuxSpec, type RuntimeSpec } from '@shimkit/oci-spec';
import { createBusyboxRootfs } from '@shimkit/test-bed';
import type { PreparedRootfs } from '../../interfaces/image-backend.js';
import type { OperationOptions } from '../../interfaces/operation-options.js';
import type { SandboxInfo } from '../../interfaces/runtime-backend.js';
import { FakeImageBackend } from '../../testing/fake-image-backend.js';
import { RuncConmonBackend, type RuncConmonBackendOptions } from './runc-backend.js';
import { conmonPidsUnder, runcContainerIds, sweepTestHost } from './host-leftovers.test-helper.js';
import { mountsUnder } from './sandbox-pins.js';

/** One test file's world: a busybox rootfs, a state dir, a cgroup parent, log dir. */
export interface RuncTestBed {
  dir: string;
  state: string;
  rootfs: string;
  logs: string;
  cgroupParent: string;
  /** Runtime roots whose containers count as leftovers (default: the backend's `<state>/runc`). */
  roots: string[];
  /** A fresh unique id. */
  id(prefix: string): string;
  backend(options?: Partial<RuncConmonBackendOptions>): RuncConmonBackend;
  /** A container spec joining the sandbox (busybox `args`). */
  spec(id: string, sandbox: SandboxInfo, args: string[], options?: { hostname?: string; env?: string[] }): RuntimeSpec;
  /** A minimal pod config. */
  podConfig(name: string, extra?: Partial<PodSandboxConfig>): PodSandboxConfig;
  /** What the tests must not leave: runtime containers, conmons, mounts (for afterEach/afterAll checks). */
  leftovers(): Promise<{ containers: string[]; conmons: number[]; mounts: string[] }>;
  /** Kills and removes whatever is left, then the directories. */
  close(): Promise<void>;
}

let seq = 0;

export async function createRuncTestBed(name: string): Promise<RuncTestBed> {
  const tag = `${name}-${process.pid}-${Math.random().toString(16).slice(2, 8)}`;
  const dir = join(tmpdir(), `shimkit-rb-${tag}`);
  const state = join(dir, 'state');
  const rootfs = join(dir, 'rootfs');
  const logs = join(dir, 'logs');
  await mkdir(logs, { recursive: true });
  await createBusyboxRootfs(rootfs);
  const cgroupParent = `shimkit-rb-${tag}`;
  const backends: RuncConmonBackend[] = [];
  const roots = [join(state, 'runc')];
  const leftovers = async (): Promise<{ containers: string[]; conmons: number[]; mounts: string[] }> => ({
    containers: roots.flatMap(runcContainerIds),
    conmons: conmonPidsUnder(dir),
    mounts: await mountsUnder(dir),
  });
  return {
    dir,
    state,
    rootfs,
    logs,
    cgroupParent,
    roots,
    id: (prefix) => `${prefix}-${process.pid}-${++seq}-${Math.random().toString(16).slice(2, 8)}`,
    backend: (options = {}) => {
      const b = new RuncConmonBackend({ state, ...options });
      backends.push(b);
      return b;
    },
    spec: (id, sandbox, args, options = {}) => {
      const b = new RuntimeSpecBuilder(defaultLinuxSpec());
      b.setArgs(args).setTerminal(false).setRoot(rootfs, { readonly: true });
      if (options.env) for (const e of options.env) b.setEnvVar(e.split('=')[0] ?? '', e.split('=').slice(1).join('='));
      const ns = sandbox.namespaces;
      if (ns.network !== undefined) b.joinNamespace('network', ns.network);
      if (ns.ipc !== undefined) b.joinNamespace('ipc', ns.ipc);
      if (ns.uts !== undefined) b.joinNamespace('uts', ns.uts);
      b.setHostname(options.hostname);
      for (const m of sandbox.mounts) b.addMount(m);
      b.setCgroupsPath(`/${cgroupParent}/${id}`);
      return b.build();
    },
    podConfig: (podName, extra = {}) =>
      ({
        metadata: { name: podName, namespace: 'test', uid: podName, attempt: 0 },
        hostname: '',
        logDirectory: logs,
        dnsConfig: undefined,
        portMappings: [],
        labels: {},
        annotations: {},
        linux: undefined,
        windows: undefined,
        ...extra,
      }) as PodSandboxConfig,
    leftovers,
    close: async () => {
      for (const b of backends) await b.close().catch(() => undefined);
      await sweepTestHost(dir, { roots, cgroupParent });
    },
  };
}

/** Reads a CRI log file's messages (`<time> <stream> <P|F> <msg>` lines). */
export async function logLines(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l !== '');
}

/** Images whose root filesystem is the test bed's busybox rootfs (shared, read-only). */
export class BusyboxImages extends FakeImageBackend {
  constructor(readonly rootfs: string) {
    super();
  }
  override async prepareRootfs(containerId: string, imageId: string, options: OperationOptions = {}): Promise<PreparedRootfs> {
    await super.prepareRootfs(containerId, imageId, options);
    return { path: this.rootfs };
  }
}

/** A busybox image with this command. */
export function addBusyboxImage(images: FakeImageBackend, name: string, cmd: string[]): void {
  images.addImage(name, { config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: { Cmd: cmd, Env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'] } } });
}

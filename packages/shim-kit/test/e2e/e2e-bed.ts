// One e2e test file's world: a local registry with the test images, a CNI network of its own
// (unique bridge and /24, no gateway, no masquerade), dirs under /tmp, a cgroup parent, and
// the checks that nothing is left behind.
import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect, type CriClient, type DeepPartial, type PodSandboxConfig, type ContainerConfig } from '@shimkit/cri-types';
import { removeIptablesRules, startRegistry, type Registry } from '@shimkit/test-bed';
import { pushTestImages, type TestImages } from '@shimkit/test-images';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { createShim, type CreateShimOptions, type Shim } from '../../src/shim/create-shim.js';
import { isolatedBridgePlugin } from '../../src/modules/cni/test-network.test-helper.js';
import type { DefaultModulesOptions } from '../../src/shim/default-modules.js';

const run = promisify(execFile);

async function sh(file: string, args: string[]): Promise<string> {
  return (await run(file, args, { encoding: 'utf8', timeout: 20_000 })).stdout;
}

/** What must be gone after every test file. */
export interface E2eLeftovers {
  runcContainers: string[];
  conmons: string[];
  processes: string[];
  mounts: string[];
  netns: string[];
  bridgePorts: string[];
  iptables: string[];
}

export class E2eBed {
  readonly tag = `${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;
  readonly bridge = `ske${this.tag}`.slice(0, 15);
  readonly prefix = `10.${randomInt(150, 200)}.${randomInt(0, 256)}.`;
  readonly subnet = `${this.prefix}0/24`;
  readonly dir = `/tmp/shimkit-e2e-${this.tag}`;
  readonly cgroupParent = `/shimkit-e2e-${this.tag}`;
  readonly root = join(this.dir, 'root');
  readonly state = join(this.dir, 'state');
  readonly socket = join(this.dir, 'cri.sock');
  readonly logs = join(this.dir, 'logs');
  readonly confDir = join(this.dir, 'cni');
  private seq = 0;

  private constructor(
    readonly registry: Registry,
    readonly images: TestImages,
  ) {}

  static async start(): Promise<E2eBed> {
    const registry = await startRegistry();
    try {
      const images = await pushTestImages(registry);
      const bed = new E2eBed(registry, images);
      await mkdir(bed.confDir, { recursive: true });
      await mkdir(bed.logs, { recursive: true });
      await writeFile(join(bed.confDir, '10-e2e.conflist'), JSON.stringify(bed.conflist()));
      return bed;
    } catch (e) {
      await registry.close();
      throw e;
    }
  }

  /** The pod network: bridge (no gateway, no masquerade) + host-local, then portmap. */
  conflist(): object {
    return {
      cniVersion: '1.0.0',
      name: `shimkit-e2e-${this.tag}`,
      plugins: [
        isolatedBridgePlugin({ bridge: this.bridge, subnet: this.subnet, dataDir: join(this.dir, 'ipam') }),
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    };
  }

  /** Options of the default modules for this bed (CNI dirs). */
  defaults(): DefaultModulesOptions {
    return { network: { confDir: this.confDir, binDirs: ['/usr/lib/cni'] }, runtime: { pauseImage: this.images.pause.reference } };
  }

  /** An in-process shim on this bed's dirs with the default modules (and `options`), and a client. */
  async startShim(options: Omit<CreateShimOptions, 'socket' | 'root' | 'state' | 'defaults'> = {}): Promise<{ shim: Shim; cri: CriClient }> {
    const shim = await createShim({ ...options, socket: this.socket, root: this.root, state: this.state, defaults: this.defaults() });
    return { shim, cri: await connect(`unix://${shim.socket}`, { defaultTimeoutMs: 30_000 }) };
  }

  id(prefix: string): string {
    return `${prefix}-${this.tag}-${++this.seq}`;
  }

  /** A pod config as kubelet sends it, in this bed's cgroup parent and log dir. */
  pod(name: string, extra: DeepPartial<PodSandboxConfig> = {}): DeepPartial<PodSandboxConfig> {
    const uid = this.id(name);
    return {
      metadata: { name, namespace: 'e2e', uid, attempt: 0 },
      hostname: name,
      logDirectory: join(this.logs, uid),
      ...extra,
      labels: { app: name, ...extra.labels },
      linux: { cgroupParent: this.cgroupParent, ...extra.linux },
    };
  }

  /** A busybox container config. */
  container(name: string, extra: DeepPartial<ContainerConfig> = {}): DeepPartial<ContainerConfig> {
    return { metadata: { name, attempt: 0 }, image: { image: this.images.busybox.reference }, command: ['sleep', '3600'], logPath: `${name}.log`, ...extra };
  }

  async leftovers(): Promise<E2eLeftovers> {
    const runcRoot = join(this.state, 'runtime', 'runc');
    let runcContainers: string[] = [];
    try {
      runcContainers = ((JSON.parse((await sh('runc', ['--root', runcRoot, 'list', '--format', 'json'])) || 'null') as { id: string }[] | null) ?? []).map((c) => c.id);
    } catch {
      // no root: none
    }
    const conmons: string[] = [];
    const processes: string[] = [];
    for (const name of await readdir('/proc')) {
      if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
      const cmdline = (await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '')).split('\0').join(' ').trim();
      if (cmdline === '' || !cmdline.includes(this.dir)) continue;
      (cmdline.startsWith('conmon') || cmdline.includes('/conmon ') ? conmons : processes).push(`${name} ${cmdline.slice(0, 120)}`);
    }
    // Container processes name nothing of ours: find them by cgroup.
    for (const pid of await this.cgroupPids()) processes.push(`${pid} (in ${this.cgroupParent})`);
    const mounts = (await readFile('/proc/self/mountinfo', 'utf8'))
      .split('\n')
      .map((l) => l.split(' ')[4] ?? '')
      .filter((m) => m.startsWith(this.dir + '/'));
    const netns = await readdir(join(this.state, 'netns')).catch(() => [] as string[]);
    const names = await readdir('/sys/class/net');
    const bridgePorts: string[] = [];
    for (const n of names) if ((await run('readlink', [`/sys/class/net/${n}/master`]).catch(() => ({ stdout: '' }))).stdout.trim().endsWith(`/${this.bridge}`)) bridgePorts.push(n);
    const iptables = (await sh('iptables-save', [])).split('\n').filter((l) => l.includes(this.prefix));
    return { runcContainers, conmons, processes, mounts, netns, bridgePorts, iptables };
  }

  private async cgroupPids(): Promise<number[]> {
    const pids: number[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const p of (await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => '')).split('\n')) if (p !== '') pids.push(Number(p));
      for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) if (e.isDirectory()) await walk(join(dir, e.name));
    };
    await walk(join('/sys/fs/cgroup/pids', this.cgroupParent));
    return pids;
  }

  /** Forceful cleanup of whatever a failed test left, then the bridge, rules, cgroups, dirs, registry. */
  async destroy(): Promise<void> {
    const runcRoot = join(this.state, 'runtime', 'runc');
    for (const id of (await this.leftovers()).runcContainers) await run('runc', ['--root', runcRoot, 'delete', '--force', id]).catch(() => undefined);
    for (const pid of await this.cgroupPids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    for (const line of (await this.leftovers()).conmons) {
      try {
        process.kill(Number(line.split(' ')[0]), 'SIGKILL');
      } catch {
        // gone
      }
    }
    for (const m of (await this.leftovers()).mounts.reverse()) await run('umount', ['-l', m]).catch(() => undefined);
    await removeIptablesRules((r) => r.rule.includes(this.prefix));
    await run('ip', ['link', 'del', this.bridge]).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100));
    for (const controller of await readdir('/sys/fs/cgroup').catch(() => [] as string[])) {
      const base = join('/sys/fs/cgroup', controller, this.cgroupParent);
      const dirs: string[] = [];
      const walk = async (d: string): Promise<void> => {
        for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) if (e.isDirectory()) await walk(join(d, e.name));
        dirs.push(d);
      };
      await walk(base);
      for (const d of dirs) await rmdir(d).catch(() => undefined);
    }
    await rm(this.dir, { recursive: true, force: true });
    await this.registry.close();
  }
}

/** Lines of a CRI log file without their timestamps: `stdout F text`. */
export async function logLines(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ').slice(1).join(' '));
}

export const EMPTY_LEFTOVERS: E2eLeftovers = { runcContainers: [], conmons: [], processes: [], mounts: [], netns: [], bridgePorts: [], iptables: [] };

/** What {@link useE2eShim} hands a test file. */
export interface E2eShim {
  bed: E2eBed;
  shim: Shim;
  cri: CriClient;
}

/**
 * One test file's world: before all its tests, a bed, an in-process shim on the default modules
 * and a client, with busybox pulled (`ready` gets them); after all, the client and shim are
 * closed, nothing may be left behind, and the bed is destroyed. Call it at the top of the file.
 */
export function useE2eShim(ready: (world: E2eShim) => void): void {
  let world: Partial<E2eShim> = {};
  beforeAll(async () => {
    const bed = await E2eBed.start();
    world = { bed };
    const { shim, cri } = await bed.startShim();
    world = { bed, shim, cri };
    await cri.image.pullImage({ image: { image: bed.images.busybox.reference } });
    ready({ bed, shim, cri });
  }, 120_000);
  afterAll(async () => {
    try {
      await world.cri?.close();
      await world.shim?.close();
      if (world.bed) expect(await world.bed.leftovers()).toEqual(EMPTY_LEFTOVERS);
    } finally {
      await world.bed?.destroy();
    }
  });
}

/** After each test, stops and removes the pods the test pushed to `pods`. */
export function removePodsAfterEach(pods: string[], cri: () => CriClient): void {
  afterEach(async () => {
    for (const podSandboxId of pods.splice(0)) {
      await cri().runtime.stopPodSandbox({ podSandboxId });
      await cri().runtime.removePodSandbox({ podSandboxId });
    }
  });
}

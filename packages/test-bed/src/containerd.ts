import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findCgroups, removeCgroupTree } from './cgroups.js';
import { renderCniConflist, renderContainerdConfig, renderHostsToml } from './containerd-config.js';
import { Daemon } from './daemon.js';
import { TestBedError } from './errors.js';
import { run } from './exec.js';
import { grpcProbe } from './grpc-probe.js';
import { deleteInterfaces, removeIptablesRules, terminate, unmountUnder } from './host-cleanup.js';
import { listInterfaces, listProcesses } from './host-scan.js';
import { makeInstanceDir, newInstanceId } from './instance-id.js';
import { pickSubnet } from './subnet.js';
import { waitUntil } from './wait-until.js';

/** Options for {@link startContainerd}. */
export interface ContainerdOptions {
  /** Registries containerd may pull from over plain HTTP (`{ host: '127.0.0.1:PORT' }`). */
  registry?: { host: string } | { host: string }[];
  /** Sandbox (pause) image reference, e.g. `127.0.0.1:PORT/pause:latest`. */
  pauseImage: string;
  /** containerd binary (default `/usr/bin/containerd`). */
  binary?: string;
  /** runc binary (default `/usr/sbin/runc`). */
  runc?: string;
  /** CNI plugin dir (default `/usr/lib/cni`). */
  cniBinDir?: string;
  /** How long to wait for the CRI socket to answer (default 30 s). */
  startTimeoutMs?: number;
  signal?: AbortSignal;
}

/** A running containerd with its CRI plugin, isolated in its own dirs and pod network. */
export interface Containerd extends AsyncDisposable {
  /** Unique id of this instance: prefix of its temp dir, its bridge and CNI network name. */
  readonly id: string;
  /** Path of the CRI (and containerd API) socket. */
  readonly socket: string;
  /** `unix://` + socket. */
  readonly endpoint: string;
  /** The instance's temp dir; root, state, config, CNI and log live below it. */
  readonly dir: string;
  readonly root: string;
  readonly state: string;
  readonly logFile: string;
  /** Pod network bridge name. */
  readonly bridge: string;
  /** Pod network subnet (a private /24). */
  readonly subnet: string;
  /**
   * A cgroup parent named after the instance (`/<id>`): pods that set it as
   * `linux.cgroupParent` get their cgroups removed by close() even if leaked.
   */
  readonly cgroupParent: string;
  /** The containerd process id. */
  readonly pid: number | undefined;
  /**
   * Stops containerd and removes everything it and its pods left: shim and
   * container processes, runc state, mounts, network namespaces, the bridge,
   * iptables rules, the temp dir. Idempotent.
   */
  close(): Promise<void>;
}

const NAMESPACE_DIRS = ['io.containerd.runtime.v2.task', 'io.containerd.runtime.v1.linux'];

/**
 * Starts containerd 1.6 with its CRI plugin on its own socket, root and state
 * dirs, pulling plain-HTTP from the given registries, with a private CNI bridge
 * network; resolves once the CRI socket answers `RuntimeService/Version`.
 */
export async function startContainerd(options: ContainerdOptions): Promise<Containerd> {
  if (!options.pauseImage) throw new TestBedError('INVALID_ARGUMENT', 'startContainerd: pauseImage is required');
  const registries = options.registry === undefined ? [] : Array.isArray(options.registry) ? options.registry : [options.registry];
  for (const r of registries) {
    if (!/^[\w.-]+(:\d+)?$/.test(r.host)) throw new TestBedError('INVALID_ARGUMENT', `startContainerd: registry host "${r.host}" is not host[:port]`);
  }
  const id = newInstanceId();
  const dir = await makeInstanceDir(id, 'ctrd');
  const root = join(dir, 'r');
  const state = join(dir, 's');
  const socket = join(state, 'c.sock');
  const runcRoot = join(state, 'runc');
  const logFile = join(dir, 'containerd.log');
  const bridge = id;
  let subnet = '';
  let daemon: Daemon | undefined;

  const teardown = async (): Promise<void> => {
    await cleanupInstance({ id, dir, state, socket, runcRoot, bridge, subnet, daemon });
  };

  try {
    subnet = await pickSubnet();
    const registryConfigDir = join(dir, 'certs.d');
    const cniConfDir = join(dir, 'cni');
    for (const d of [root, state, registryConfigDir, cniConfDir]) await mkdir(d, { recursive: true });
    for (const r of registries) {
      await mkdir(join(registryConfigDir, r.host));
      await writeFile(join(registryConfigDir, r.host, 'hosts.toml'), renderHostsToml(r.host));
    }
    await writeFile(
      join(cniConfDir, '10-test-bed.conflist'),
      renderCniConflist({ name: id, bridge, subnet, ipamDataDir: join(dir, 'ipam') }),
    );
    const configFile = join(dir, 'config.toml');
    await writeFile(
      configFile,
      renderContainerdConfig({
        root,
        state,
        socket,
        sandboxImage: options.pauseImage,
        registryConfigDir,
        cniConfDir,
        cniBinDir: options.cniBinDir ?? '/usr/lib/cni',
        runcRoot,
        runcBinary: options.runc ?? '/usr/sbin/runc',
      }),
    );
    daemon = await Daemon.start(options.binary ?? '/usr/bin/containerd', ['--config', configFile], logFile);
    const started = daemon;
    await waitUntil(
      `containerd CRI on ${socket}`,
      async () => (await grpcProbe(socket, '/runtime.v1.RuntimeService/Version', 1_000)).status === 0,
      { timeoutMs: options.startTimeoutMs ?? 30_000, intervalMs: 100, signal: options.signal, fail: () => started.exitReason },
    ).catch(async (err: unknown) => {
      const tail = await started.tail();
      throw new TestBedError('START_FAILED', `startContainerd: ${(err as Error).message}; log ${logFile}:\n${tail}`, { cause: err });
    });
  } catch (err) {
    await teardown();
    throw err;
  }

  let closed: Promise<void> | undefined;
  const instance: Containerd = {
    id,
    socket,
    endpoint: `unix://${socket}`,
    dir,
    root,
    state,
    logFile,
    bridge,
    subnet,
    cgroupParent: `/${id}`,
    pid: daemon.pid,
    close: () => (closed ??= teardown()),
    [Symbol.asyncDispose]: () => instance.close(),
  };
  return instance;
}

interface CleanupInput {
  id: string;
  dir: string;
  state: string;
  socket: string;
  runcRoot: string;
  bridge: string;
  subnet: string;
  daemon: Daemon | undefined;
}

async function listDirs(path: string): Promise<string[]> {
  return (await readdir(path, { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory()).map((e) => join(path, e.name));
}

async function cleanupInstance(c: CleanupInput): Promise<void> {
  const belongs = (text: string): boolean => text.includes(c.dir);
  // Shims run detached from containerd: find them by the socket they serve.
  const shims = (await listProcesses()).filter((p) => p.cmdline.includes('containerd-shim') && belongs(p.cmdline)).map((p) => p.pid);

  await c.daemon?.stop(5_000);

  // Containers (and their processes) through runc's own state, without containerd.
  for (const nsRoot of await listDirs(c.runcRoot)) {
    const list = await run('runc', ['--root', nsRoot, 'list', '-q'], { allowFailure: true, timeoutMs: 10_000 });
    for (const cid of list.stdout.split('\n').filter(Boolean)) {
      await run('runc', ['--root', nsRoot, 'kill', '--all', cid, 'KILL'], { allowFailure: true, timeoutMs: 10_000 });
      await run('runc', ['--root', nsRoot, 'delete', '--force', cid], { allowFailure: true, timeoutMs: 10_000 });
    }
  }
  // Whatever still runs from our rootfs or names our dirs (shims, stray container processes).
  const stray = (await listProcesses()).filter((p) => belongs(p.cmdline) || belongs(p.root)).map((p) => p.pid);
  await terminate([...new Set([...shims, ...stray])], 2_000);

  // Shim sockets live outside our dirs (/run/containerd/s); each task dir records its address.
  for (const kind of NAMESPACE_DIRS) {
    for (const ns of await listDirs(join(c.state, kind))) {
      for (const task of await listDirs(ns)) {
        const address = await readFile(join(task, 'address'), 'utf8').catch(() => '');
        const path = address.trim().replace(/^unix:\/\//, '');
        if (path.startsWith('/')) await rm(path, { force: true });
      }
    }
  }

  await unmountUnder([c.dir]);

  // Veth ends left on our bridge (their netns is gone by now, normally taking them along), then the bridge.
  const links = await listInterfaces();
  await deleteInterfaces([...links.filter((l) => l.master === c.bridge).map((l) => l.name), ...links.filter((l) => l.name === c.bridge).map((l) => l.name)]);
  const subnetPrefix = c.subnet ? c.subnet.replace(/0\/24$/, '') : undefined;
  await removeIptablesRules(
    ({ rule }) =>
      rule.includes(`"${c.id}"`) || rule.includes(`${c.bridge} `) || rule.endsWith(c.bridge) || (subnetPrefix !== undefined && rule.includes(` ${subnetPrefix}`)),
  );

  // libcni caches results under /var/lib/cni by network name: ours, and containerd's loopback per sandbox.
  const sandboxes = (await readdir(join(c.state, 'io.containerd.grpc.v1.cri', 'sandboxes')).catch(() => [] as string[]));
  const cacheDir = '/var/lib/cni/results';
  for (const name of await readdir(cacheDir).catch(() => [] as string[])) {
    const ours = name.startsWith(`${c.id}-`) || sandboxes.some((sb) => name === `cni-loopback-${sb}-lo`);
    if (ours) await rm(join(cacheDir, name), { force: true });
  }
  for (const cgroup of await findCgroups(c.id)) await removeCgroupTree(cgroup);
  await rm(c.dir, { recursive: true, force: true });
}

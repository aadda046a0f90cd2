import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderCniConflist, renderContainerdConfig, renderHostsToml } from './containerd-config.js';
import { Daemon } from './daemon.js';
import { isTestBedError, TestBedError, throwIfAborted } from './errors.js';
import { grpcProbe } from './grpc-probe.js';
import { removeContainerdInstance } from './containerd-cleanup.js';
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
  throwIfAborted(options.signal, 'startContainerd');
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
    await daemon?.stop(5_000);
    await removeContainerdInstance(dir);
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
      if (isTestBedError(err, 'ABORTED')) throw err;
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

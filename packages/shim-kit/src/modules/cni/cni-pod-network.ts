import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { leaseHelper, type HelperLease, type HostHelper } from '@shimkit/host-helper';
import { ShimError } from '../../errors.js';
import type { Logger } from '../../interfaces/logger.js';
import type { OperationOptions } from '../../interfaces/operation-options.js';
import type { PodNetwork, PodNetworkAttachment, PodNetworkRequest } from '../../interfaces/pod-network.js';
import { NoopLogger } from '../../runtime/noop-logger.js';
import { capabilityArgs, cniArgs } from './cni-args.js';
import { CniResultCache, type CniCacheEntry } from './cni-cache.js';
import { addNetworkList, checkNetworkList, delNetworkList, type ChainCall } from './cni-chain.js';
import { loadNetworkList, type CniNetworkList } from './cni-config.js';
import { CniError } from './cni-error.js';
import { execPlugin } from './cni-exec.js';
import { podIps } from './cni-result.js';
import { missingPlugins, networkStatus, type NetworkStatus } from './cni-status.js';
import { KeyedLock } from './keyed-lock.js';
import { createNetns, removeNetns } from './netns.js';

/** Where plugins are looked for by default: the CNI project's usual dir, then Debian's. */
export const DEFAULT_CNI_BIN_DIRS: readonly string[] = ['/opt/cni/bin', '/usr/lib/cni'];
/** The conf dir containerd and CRI-O read by default. */
export const DEFAULT_CNI_CONF_DIR = '/etc/cni/net.d';

/** Options of {@link CniPodNetwork}. */
export interface CniPodNetworkOptions {
  /** Network configuration dir; its first `.conf`/`.conflist`/`.json` in lexical order is the pod network. Default `/etc/cni/net.d`. */
  confDir?: string;
  /** Plugin dirs, searched in order and passed as `CNI_PATH`. Default `/opt/cni/bin`, `/usr/lib/cni`. */
  binDirs?: readonly string[];
  /** Where pod network namespaces are pinned (one file per pod). */
  netnsDir: string;
  /** Where ADD results are kept for DEL (should survive a restart). */
  cacheDir: string;
  /** The pod's interface name. Default `eth0`. */
  ifName?: string;
  /** SIGKILL a plugin that runs longer than this. Default 60 s. */
  pluginTimeoutMs?: number;
  logger?: Logger;
  /** Runs the plugins and pins the namespaces (shared, not closed here). Default: one of its own. */
  helper?: HostHelper;
}

// CNI's container id rule; it also keeps ids usable as file names.
const CONTAINER_ID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
// Linux interface names: under 16 bytes, no "/", ":" or whitespace.
const IF_NAME = /^[^/:\s]{1,15}$/;
const LOOPBACK_NETWORK = { cniVersion: '1.0.0', name: 'cni-loopback', type: 'loopback' };

/**
 * The default {@link PodNetwork}: a CNI runtime (what libcni does for containerd and CRI-O).
 * Each pod gets a network namespace pinned under `netnsDir`, loopback brought up with the
 * `loopback` plugin, and the plugins of the conf dir's network ADDed in order; the ADD result
 * is cached for the DEL in `teardown`, which runs the plugins in reverse and removes the namespace.
 */
export class CniPodNetwork implements PodNetwork {
  readonly confDir: string;
  readonly binDirs: readonly string[];
  readonly netnsDir: string;
  readonly ifName: string;
  readonly #cache: CniResultCache;
  readonly #logger: Logger;
  readonly #timeoutMs: number;
  readonly #lock = new KeyedLock();
  readonly #helper: HostHelper;
  readonly #helperLease: HelperLease;
  #closed = false;

  constructor(options: CniPodNetworkOptions) {
    this.confDir = options.confDir ?? DEFAULT_CNI_CONF_DIR;
    this.binDirs = [...(options.binDirs ?? DEFAULT_CNI_BIN_DIRS)];
    this.netnsDir = options.netnsDir;
    this.ifName = options.ifName ?? 'eth0';
    if (!IF_NAME.test(this.ifName) || this.ifName === '.' || this.ifName === '..') {
      throw new ShimError('InvalidArgument', `interface name ${JSON.stringify(this.ifName)} is not a valid Linux interface name`);
    }
    this.#cache = new CniResultCache(options.cacheDir);
    this.#logger = options.logger ?? new NoopLogger();
    this.#timeoutMs = options.pluginTimeoutMs ?? 60_000;
    this.#helperLease = leaseHelper(options.helper);
    this.#helper = this.#helperLease.helper;
  }

  /** The path a pod's network namespace is pinned at. */
  netnsPathOf(sandboxId: string): string {
    return join(this.netnsDir, sandboxId);
  }

  /**
   * Creates the pod's namespace and ADDs it to the network. On any failure the plugins are
   * DELed (all of them, in reverse, as the spec asks) and the namespace is removed.
   */
  async setup(request: PodNetworkRequest): Promise<PodNetworkAttachment> {
    this.#assertOpen();
    request.signal?.throwIfAborted();
    const id = request.sandboxId;
    if (!CONTAINER_ID.test(id)) throw new ShimError('InvalidArgument', `sandbox id ${JSON.stringify(id)} is not a valid CNI container id`);
    return this.#lock.run(id, async () => {
      const list = await loadNetworkList(this.confDir);
      const missing = await missingPlugins(['loopback', ...list.plugins.flatMap((p) => (p.ipamType === undefined ? [p.type] : [p.type, p.ipamType]))], this.binDirs);
      if (missing.length > 0) {
        throw new CniError('PluginNotFound', `CNI plugin "${missing[0]}" of network "${list.name}" (${list.file}) not found in ${this.binDirs.join(', ')}`, {
          plugin: missing[0] as string,
          file: list.file,
        });
      }
      if ((await this.#cache.read(id)) !== undefined) throw new ShimError('AlreadyExists', `pod ${id} is already attached to the CNI network`);
      const netnsPath = this.netnsPathOf(id);
      await mkdir(this.netnsDir, { recursive: true, mode: 0o711 });
      const usernsPath = await createNetns(netnsPath, {
        helper: this.#helper,
        ...(request.userNamespace === undefined ? {} : { userNamespace: request.userNamespace }),
        ...(request.signal === undefined ? {} : { signal: request.signal }),
      });
      const call = this.#call(list, request, netnsPath);
      try {
        // Loopback is a network of its own (as in containerd), so it comes up alongside the pod network.
        const [lo, added] = await Promise.allSettled([this.#loopbackUp(call), addNetworkList(call)]);
        if (added.status === 'rejected') throw added.reason;
        if (lo.status === 'rejected') throw lo.reason;
        const lastPlugin = list.plugins[list.plugins.length - 1]?.type ?? '';
        const ips = podIps(added.value, this.ifName, lastPlugin);
        if (ips.length === 0) this.#logger.warn('the CNI result gives the pod no IP address', { sandboxId: id, network: list.name });
        await this.#cache.write({
          containerId: id,
          netnsPath,
          ifName: this.ifName,
          cniArgs: call.args,
          capabilityArgs: { ...call.capabilityArgs },
          network: list,
          result: added.value,
        });
        this.#logger.debug('pod network attached', { sandboxId: id, network: list.name, ips });
        return { netnsPath, ips, ...(usernsPath === undefined ? {} : { usernsPath }) };
      } catch (e) {
        await this.#rollback(call);
        throw e;
      }
    });
  }

  /**
   * DELs the pod from the network (reverse order, cached ADD result as `prevResult`), then
   * removes its namespace even if a DEL failed. Idempotent: nothing cached and no namespace
   * means nothing to do. A failed DEL keeps the cache and throws, so a retry DELs again.
   */
  async teardown(request: PodNetworkRequest & { netnsPath: string }): Promise<void> {
    this.#assertOpen();
    request.signal?.throwIfAborted();
    const id = request.sandboxId;
    if (!CONTAINER_ID.test(id)) return; // setup refuses such ids: nothing can exist
    await this.#lock.run(id, async () => {
      let entry: CniCacheEntry | undefined;
      let corruptCache = false;
      try {
        entry = await this.#cache.read(id);
      } catch (e) {
        corruptCache = true;
        this.#logger.warn('unreadable CNI result cache; DEL with the current config and no prevResult', { sandboxId: id, error: String(e) });
      }
      const netnsPath = entry?.netnsPath ?? this.netnsPathOf(id);
      const netnsExists = await access(netnsPath).then(
        () => true,
        () => false,
      );
      if (entry === undefined && !corruptCache && !netnsExists) return;
      let delError: unknown;
      try {
        const list = entry?.network ?? (await loadNetworkList(this.confDir));
        const call = this.#call(list, request, netnsExists ? netnsPath : '');
        await delNetworkList({ ...call, ...(entry === undefined ? {} : { prevResult: entry.result, capabilityArgs: entry.capabilityArgs, args: entry.cniArgs }) });
      } catch (e) {
        delError = e;
      }
      await removeNetns(netnsPath, { helper: this.#helper });
      if (delError !== undefined) {
        this.#logger.warn('CNI DEL failed; the namespace is removed, DEL will be retried', { sandboxId: id, error: String(delError) });
        throw delError;
      }
      await this.#cache.remove(id);
      this.#logger.debug('pod network detached', { sandboxId: id });
    });
  }

  /**
   * Runs CNI CHECK on an attached pod (the plugins verify what their ADD made, with the cached
   * result). Throws `NotFound` for a pod that is not attached and the plugin's error when a
   * check fails. Lists with `disableCheck` and pre-0.4.0 ones are not checked.
   */
  async check(request: PodNetworkRequest): Promise<void> {
    this.#assertOpen();
    request.signal?.throwIfAborted();
    const id = request.sandboxId;
    await this.#lock.run(id, async () => {
      const entry = CONTAINER_ID.test(id) ? await this.#cache.read(id) : undefined;
      if (entry === undefined) throw new ShimError('NotFound', `pod ${id} is not attached to the CNI network`);
      const call = this.#call(entry.network, request, entry.netnsPath);
      await checkNetworkList({ ...call, args: entry.cniArgs, capabilityArgs: entry.capabilityArgs, prevResult: entry.result });
    });
  }

  /** NetworkReady: a valid network configuration and all its plugins present. */
  async status(options: OperationOptions = {}): Promise<NetworkStatus> {
    options.signal?.throwIfAborted();
    return networkStatus(this.confDir, this.binDirs);
  }

  /** Waits for operations in flight; later calls fail. Pods stay attached. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#lock.idle();
    await this.#helperLease.release();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new ShimError('Unavailable', 'the CNI pod network is closed');
  }

  #call(list: CniNetworkList, request: PodNetworkRequest, netns: string): ChainCall {
    return {
      list,
      containerId: request.sandboxId,
      netns,
      ifName: this.ifName,
      args: cniArgs(request),
      binDirs: this.binDirs,
      capabilityArgs: capabilityArgs(request.portMappings),
      timeoutMs: this.#timeoutMs,
      helper: this.#helper,
      ...(request.signal === undefined ? {} : { signal: request.signal }),
    };
  }

  async #loopbackUp(call: ChainCall): Promise<void> {
    await execPlugin('ADD', LOOPBACK_NETWORK, { ...call, ifName: 'lo' });
  }

  // Undoes a failed setup without the caller's signal: cleanup must finish even after an abort.
  async #rollback(call: ChainCall): Promise<void> {
    const { signal: _signal, ...rest } = call;
    await delNetworkList(rest).catch((e: unknown) => {
      this.#logger.warn('CNI DEL after a failed ADD failed', { sandboxId: call.containerId, error: String(e) });
    });
    await removeNetns(call.netns, { helper: this.#helper }).catch((e: unknown) => {
      this.#logger.warn('removing the network namespace after a failed ADD failed', { sandboxId: call.containerId, error: String(e) });
    });
  }
}

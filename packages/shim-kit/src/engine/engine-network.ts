import type { HostHelper } from '@shimkit/host-helper';
import type { PodPortMapping } from '../interfaces/pod-network.js';
import { CniPodNetwork } from '../modules/cni/cni-pod-network.js';
import { ensureDefaultNetwork } from './default-network.js';
import type { EngineLayout } from './engine-layout.js';

/** Attaches containers on the `bridge` network through the shim's CNI code, with the engine's own conf dir. */
export class EngineNetwork {
  #cni: CniPodNetwork | undefined;

  constructor(
    readonly layout: EngineLayout,
    readonly options: { helper: HostHelper; binDirs?: readonly string[] },
  ) {}

  async #network(): Promise<CniPodNetwork> {
    if (this.#cni) return this.#cni;
    const confDir = await ensureDefaultNetwork(this.layout.cniConfDir);
    this.#cni = new CniPodNetwork({
      confDir,
      netnsDir: this.layout.netnsDir,
      cacheDir: this.layout.cniCacheDir,
      helper: this.options.helper,
      ...(this.options.binDirs ? { binDirs: this.options.binDirs } : {}),
    });
    return this.#cni;
  }

  async attach(id: string, name: string, ports: readonly PodPortMapping[], signal?: AbortSignal): Promise<{ netnsPath: string; ips: string[] }> {
    const cni = await this.#network();
    const a = await cni.setup({ sandboxId: id, podName: name, podNamespace: 'shimkit', podUid: id, portMappings: [...ports], ...(signal ? { signal } : {}) });
    return { netnsPath: a.netnsPath, ips: a.ips };
  }

  async detach(id: string, name: string, ports: readonly PodPortMapping[], netnsPath: string): Promise<void> {
    const cni = await this.#network();
    await cni.teardown({ sandboxId: id, podName: name, podNamespace: 'shimkit', podUid: id, portMappings: [...ports], netnsPath });
  }

  async close(): Promise<void> {
    await this.#cni?.close();
  }
}

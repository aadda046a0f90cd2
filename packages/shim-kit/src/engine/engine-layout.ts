import { join } from 'node:path';

/** podman's defaults, in shimkit's own places. */
export const DEFAULT_ENGINE_ROOT = '/var/lib/shimkit';
export const DEFAULT_ENGINE_RUNROOT = '/run/shimkit';

/**
 * Where the container engine keeps things. The persistent `root` holds the image store
 * (`<root>/images`, the layout `shimkit serve --root` uses) and the engine's containers and
 * network config under `<root>/engine`; the volatile `runroot` holds what does not outlive a
 * reboot: bundles, runc's state, conmon's exit files and sockets, network namespaces.
 */
export class EngineLayout {
  constructor(
    readonly root: string,
    readonly runroot: string,
  ) {}

  get imagesDir(): string {
    return join(this.root, 'images');
  }
  get containersDir(): string {
    return join(this.root, 'engine', 'containers');
  }
  /** The container's record and log. */
  container(id: string): string {
    return join(this.containersDir, id);
  }
  record(id: string): string {
    return join(this.container(id), 'container.json');
  }
  log(id: string): string {
    return join(this.container(id), 'ctr.log');
  }
  /** The lock file every change of the engine's state is made under. */
  get lockFile(): string {
    return join(this.root, 'engine', 'lock');
  }
  /** The engine's own CNI configuration dir (the bridge network is written here on first use). */
  get cniConfDir(): string {
    return join(this.root, 'engine', 'cni');
  }
  get runcRoot(): string {
    return join(this.runroot, 'runc');
  }
  get exitDir(): string {
    return join(this.runroot, 'exits');
  }
  get socketDir(): string {
    return join(this.runroot, 'socks');
  }
  bundle(id: string): string {
    return join(this.runroot, 'bundles', id);
  }
  get netnsDir(): string {
    return join(this.runroot, 'netns');
  }
  get cniCacheDir(): string {
    return join(this.runroot, 'cni-cache');
  }
}

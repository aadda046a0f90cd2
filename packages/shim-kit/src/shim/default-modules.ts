import { cniNetworkModule, type CniNetworkModuleOptions } from '../modules/cni/cni-network-module.js';
import { imageStoreModule, type ImageStoreModuleOptions } from '../modules/images/image-store-module.js';
import { runcConmonModule, type RuncConmonModuleOptions } from '../modules/runc/runc-conmon-module.js';
import type { ShimModule } from './modules.js';

/** Options of the three real modules {@link defaultModules} registers. */
export interface DefaultModulesOptions {
  /** runc + conmon: `runtime` binary (default `runc`), `conmon`, `pauseImage` for PID-sharing pods, `handlers`, ... */
  runtime?: RuncConmonModuleOptions;
  /** Images in `<root>/images`: `registry` (hosts with mirrors, `plainHttp`, `credentials`), `dockerConfig`, `pinnedImages`, ... */
  images?: ImageStoreModuleOptions;
  /** CNI: `confDir` (default `/etc/cni/net.d`), `binDirs` (default `/opt/cni/bin`, `/usr/lib/cni`), ... */
  network?: CniNetworkModuleOptions;
}

/**
 * The real parts: the runc + conmon RuntimeBackend, the image-store ImageBackend and the
 * CNI PodNetwork. `createShim` applies them (with its `defaults` options) before the caller's
 * modules, so a module for one token replaces just that part.
 */
export function defaultModules(options: DefaultModulesOptions = {}): ShimModule[] {
  return [runcConmonModule(options.runtime), imageStoreModule(options.images), cniNetworkModule(options.network)];
}

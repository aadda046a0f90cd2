import { join } from 'node:path';
import { provideFactory, type ShimModule } from '../../shim/modules.js';
import { Tokens } from '../../tokens.js';
import { CniPodNetwork, type CniPodNetworkOptions } from './cni-pod-network.js';

/** Options of {@link cniNetworkModule}: those of {@link CniPodNetwork}, with dirs defaulting under the shim's. */
export type CniNetworkModuleOptions = Omit<CniPodNetworkOptions, 'netnsDir' | 'cacheDir' | 'logger' | 'helper'> & {
  /** Default `<state>/netns`. */
  netnsDir?: string;
  /** Default `<root>/cni/results` (persistent, so DEL gets the ADD result after a reboot). */
  cacheDir?: string;
  /** Default: the shim's logger. */
  logger?: CniPodNetworkOptions['logger'];
};

/**
 * Registers a {@link CniPodNetwork} as the shim's PodNetwork.
 *
 * ```ts
 * createShim({ socket, root, state, modules: [cniNetworkModule({ confDir: '/etc/cni/net.d', binDirs: ['/usr/lib/cni'] }), ...] });
 * ```
 */
export function cniNetworkModule(options: CniNetworkModuleOptions = {}): ShimModule {
  return provideFactory(Tokens.PodNetwork, (c) => {
    const config = c.resolve(Tokens.ShimConfig);
    return new CniPodNetwork({
      ...options,
      netnsDir: options.netnsDir ?? join(config.state, 'netns'),
      cacheDir: options.cacheDir ?? join(config.root, 'cni', 'results'),
      logger: options.logger ?? c.resolve(Tokens.Logger),
      helper: c.resolve(Tokens.HostHelper),
    });
  });
}

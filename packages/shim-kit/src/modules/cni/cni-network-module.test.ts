import { expect, it } from 'vitest';
import { composeShimContainer } from '../../shim/create-shim.js';
import type { ShimConfig } from '../../shim/shim-config.js';
import { Tokens } from '../../tokens.js';
import { CniPodNetwork } from './cni-pod-network.js';
import { cniNetworkModule } from './cni-network-module.js';
import { createFakes } from '../../testing/fakes.js';

it('registers a CniPodNetwork with its namespaces under the shim state and its options', () => {
  const config = { root: '/var/lib/s', state: '/run/s', socket: '/run/s/cri.sock' } as ShimConfig;
  const fakes = createFakes();
  const container = composeShimContainer(config, [...fakes.modules, cniNetworkModule({ confDir: '/my/conf', binDirs: ['/my/bin'] })]);
  const network = container.resolve(Tokens.PodNetwork);
  expect(network).toBeInstanceOf(CniPodNetwork);
  const cni = network as CniPodNetwork;
  expect([cni.confDir, cni.binDirs, cni.netnsDir, cni.ifName]).toEqual(['/my/conf', ['/my/bin'], '/run/s/netns', 'eth0']);
});

import { access, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { connect, PodSandboxState } from '@shimkit/cri-types';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFakeShim } from '../../testing/fake-shim.js';
import { cniNetworkModule } from './cni-network-module.js';
import { TestNetwork } from './test-network.test-helper.js';

let net: TestNetwork;
beforeAll(async () => {
  net = await TestNetwork.create();
});
afterAll(async () => {
  const left = await net.leftovers();
  await net.destroy();
  expect(left).toEqual([]);
});

it('serves pods over CRI with the CNI network: Status, pod IP, stop and remove tear the network down', async () => {
  const confDir = await net.confDir('shim', { '10-pods.conflist': net.list([net.bridgePlugin(), { type: 'portmap', capabilities: { portMappings: true } }]) });
  const { netnsDir, cacheDir, binDirs } = net.options(confDir);
  await using fake = await startFakeShim({ modules: [cniNetworkModule({ confDir, binDirs, netnsDir, cacheDir })] });
  const cri = await connect(fake.endpoint);
  try {
    const conditions = (await cri.runtime.status({})).status?.conditions ?? [];
    expect(conditions.find((c) => c.type === 'NetworkReady')?.status).toBe(true);

    const config = { metadata: { name: 'web', namespace: 'default', uid: 'uid-web', attempt: 0 }, portMappings: [{ containerPort: 80, hostPort: 0 }] };
    const { podSandboxId } = await cri.runtime.runPodSandbox({ config });
    const status = (await cri.runtime.podSandboxStatus({ podSandboxId })).status;
    expect(status?.state).toBe(PodSandboxState.SANDBOX_READY);
    expect(status?.network?.ip.startsWith(net.prefix)).toBe(true);
    // the sandbox starts alongside the network; the shim gives it the netns path afterwards
    const verbose = await cri.runtime.podSandboxStatus({ podSandboxId, verbose: true });
    expect(JSON.parse(verbose.info.info ?? '{}')).toMatchObject({ netnsPath: join(netnsDir, podSandboxId), namespaces: { network: join(netnsDir, podSandboxId) } });
    expect(await net.leases()).toHaveLength(1);

    await cri.runtime.stopPodSandbox({ podSandboxId });
    await expect(access(join(netnsDir, podSandboxId))).rejects.toThrow();
    expect(await net.leases()).toEqual([]);
    await cri.runtime.removePodSandbox({ podSandboxId });

    await rename(join(confDir, '10-pods.conflist'), join(confDir, '10-pods.disabled'));
    const notReady = (await cri.runtime.status({})).status?.conditions.find((c) => c.type === 'NetworkReady');
    expect(notReady).toMatchObject({ status: false, reason: 'NetworkPluginNotReady' });
    expect(notReady?.message).toContain(`no network config found in ${confDir}`);
  } finally {
    await cri.close();
  }
  expect(await net.leftovers()).toEqual([]);
});

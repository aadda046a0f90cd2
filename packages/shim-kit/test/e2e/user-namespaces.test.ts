// Pods with user namespaces of their own (namespace_options.userns_options), on real runc.
import { statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ContainerState, NamespaceMode, type CriClient, type IDMapping, type UserNamespace } from '@shimkit/cri-types';
import { describe, expect, it, vi } from 'vitest';
import { logLines, removePodsAfterEach, useE2eShim, type E2eBed } from './e2e-bed.js';

let bed: E2eBed;
let cri: CriClient;
const pods: string[] = [];
useE2eShim((world) => ({ bed, cri } = world));
removePodsAfterEach(pods, () => cri);

const MAPPING: IDMapping[] = [{ containerId: 0, hostId: 1000, length: 100000 }];
const usernsOptions = (userns: Partial<UserNamespace>): { namespaceOptions: { usernsOptions: UserNamespace } } => ({
  namespaceOptions: { usernsOptions: { mode: NamespaceMode.POD, uids: [], gids: [], ...userns } },
});

/** Runs `script` in a pod with `userns` (and `mounts`); the container's log lines once it exited. */
async function runIn(name: string, userns: Partial<UserNamespace>, script: string, mounts: { containerPath: string; hostPath: string }[] = []): Promise<string[]> {
  const securityContext = usernsOptions(userns);
  const config = bed.pod(name, { linux: { securityContext } });
  const { podSandboxId } = await cri.runtime.runPodSandbox({ config });
  pods.push(podSandboxId);
  const { containerId } = await cri.runtime.createContainer({
    podSandboxId,
    sandboxConfig: config,
    config: bed.container('main', { command: ['sh', '-c', script], linux: { securityContext }, mounts }),
  });
  await cri.runtime.startContainer({ containerId });
  await vi.waitFor(async () => expect((await cri.runtime.containerStatus({ containerId })).status?.state).toBe(ContainerState.CONTAINER_EXITED), { timeout: 20_000, interval: 100 });
  const status = (await cri.runtime.containerStatus({ containerId })).status;
  // `<stream> <tag> <message>` after the time
  return (await logLines(join(config.logDirectory as string, status?.logPath.split('/').pop() ?? 'main.log'))).map((l) => l.split(' ').slice(2).join(' ').trim());
}

describe('user namespaces', () => {
  it('the runtime handler says it supports them', async () => {
    const status = await cri.runtime.status({ verbose: false });
    expect(status.runtimeHandlers.find((h) => h.name === '')?.features?.userNamespaces).toBe(true);
  });

  it('a pod in its own user namespace: the mapping, root inside, a writable idmapped rootfs and volume, and its network to administer', async () => {
    const volume = join(bed.dir, 'userns-volume');
    await mkdir(volume);
    await writeFile(join(volume, 'from-host'), 'host\n');
    const lines = await runIn('userns-pod', { uids: MAPPING, gids: MAPPING }, [
      'tr -s " " < /proc/self/uid_map',
      'tr -s " " < /proc/self/gid_map',
      'id -u',
      'stat -c "%u %g %n" /bin/busybox',
      'echo hi > /written && stat -c "%u %g %n" /written',
      'ip link set lo up && echo network administered',
      'stat -c "%u %g %n" /data/from-host /etc/hosts',
      'echo pod > /data/from-pod && echo volume written',
    ].join('; '), [{ containerPath: '/data', hostPath: volume }]);
    expect(lines).toEqual(['0 1000 100000', '0 1000 100000', '0', '0 0 /bin/busybox', '0 0 /written', 'network administered', '0 0 /data/from-host', '0 0 /etc/hosts', 'volume written']);
    // written by the namespace's root through the idmapped volume: root's on the host too
    expect(statSync(join(volume, 'from-pod'))).toMatchObject({ uid: 0, gid: 0 });
  });

  it('mode NODE (or none) keeps the host user namespace', async () => {
    const lines = await runIn('userns-node', { mode: NamespaceMode.NODE }, 'tr -s " " < /proc/self/uid_map');
    expect(lines).toEqual(['0 0 4294967295']);
  });

  it('refuses what kubelet must not get: several mappings, container id 0 unmapped, modes CONTAINER and TARGET', async () => {
    const refused = async (userns: Partial<UserNamespace>): Promise<unknown> =>
      cri.runtime.runPodSandbox({ config: bed.pod('userns-bad', { linux: { securityContext: usernsOptions(userns) } }) }).catch((e: unknown) => e);
    const two = [...MAPPING, { containerId: 0, hostId: 2000, length: 100000 }];
    expect(await refused({ uids: two, gids: two })).toMatchObject({ code: 'InvalidArgument', message: expect.stringContaining('exactly one uids mapping') });
    const unmapped = [{ containerId: 1, hostId: 1000, length: 100000 }];
    expect(await refused({ uids: unmapped, gids: unmapped })).toMatchObject({ code: 'InvalidArgument', message: expect.stringContaining('container id 0') });
    expect(await refused({ mode: NamespaceMode.CONTAINER })).toMatchObject({ code: 'InvalidArgument', message: expect.stringContaining('CONTAINER') });
    expect(await refused({ mode: NamespaceMode.TARGET })).toMatchObject({ code: 'InvalidArgument', message: expect.stringContaining('TARGET') });
    expect((await cri.runtime.listPodSandbox({})).items.filter((p) => p.metadata?.name === 'userns-bad')).toEqual([]);
  });
});

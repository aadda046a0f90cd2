import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerConfig, MountPropagation, NamespaceMode, PodSandboxConfig, SecurityProfile_ProfileType, type DeepPartial } from '@shimkit/cri-types';
import { DEFAULT_CAPABILITIES, type ImageConfig } from '@shimkit/oci-spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageRecord } from '../interfaces/image-backend.js';
import type { SandboxRecord } from '../interfaces/sandbox-record.js';
import { containerSpec, type ContainerSpecInput } from './container-spec.js';
import { hostAppArmorEnabled } from '../host/host-apparmor.js';
import { hostCapabilities } from '../host/host-capabilities.js';

const image: ImageRecord = {
  id: 'sha256:' + '1'.repeat(64),
  repoTags: ['docker.io/library/app:1'],
  repoDigests: [],
  size: 1n,
  pinned: false,
  config: { architecture: 'amd64', os: 'linux', config: { Entrypoint: ['/entry'], Cmd: ['--serve'], Env: ['FROM_IMAGE=1'], WorkingDir: '/srv' }, rootfs: { type: 'layers', diff_ids: [] } } as ImageConfig,
};

function sandbox(config: DeepPartial<PodSandboxConfig> = {}): SandboxRecord {
  return {
    id: 'sb1',
    name: 'pod_ns_uid_0',
    state: 'ready',
    createdAt: 1n,
    runtimeHandler: '',
    config: PodSandboxConfig.fromPartial({ metadata: { name: 'pod', namespace: 'ns', uid: 'uid' }, hostname: 'pod', ...config }),
    netnsPath: '/var/run/netns/sb1',
    ips: [],
    networkTornDown: false,
    info: { namespaces: { network: '/var/run/netns/sb1', ipc: '/proc/9/ns/ipc', uts: '/proc/9/ns/uts' }, mounts: [{ destination: '/etc/resolv.conf', type: 'bind', source: '/run/sb1/resolv.conf', options: ['rbind', 'ro'] }] },
  };
}

function input(config: DeepPartial<ContainerConfig>, extra: Partial<ContainerSpecInput> = {}): ContainerSpecInput {
  return {
    id: 'c1',
    sandbox: sandbox(),
    config: ContainerConfig.fromPartial({ metadata: { name: 'app' }, image: { image: 'app:1' }, ...config }),
    image,
    rootfs: '/nonexistent/rootfs',
    oom: { restrict: true, floor: 0 },
    cgroupDriver: 'cgroupfs',
    ...extra,
  };
}

describe('containerSpec', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `shimkit-spec-${process.pid}-`));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('merges the image config with command, args, env (bytes as UTF-8) and working dir', async () => {
    const spec = await containerSpec(input({ envs: [{ key: 'NAME', value: Buffer.from('ünïcode') }] }));
    expect(spec.process?.args).toEqual(['/entry', '--serve']);
    expect(spec.process?.cwd).toBe('/srv');
    expect(spec.process?.env).toEqual(expect.arrayContaining(['FROM_IMAGE=1', 'NAME=ünïcode', 'HOSTNAME=pod']));
    expect(spec.root).toEqual({ path: '/nonexistent/rootfs', readonly: false });
    const replaced = await containerSpec(input({ command: ['/bin/sh'], args: ['-c', 'true'], workingDir: '/tmp' }));
    expect(replaced.process?.args).toEqual(['/bin/sh', '-c', 'true']);
    expect(replaced.process?.cwd).toBe('/tmp');
    expect((await containerSpec(input({ args: ['--debug'] }))).process?.args).toEqual(['/entry', '--debug']);
  });

  it('never asks for an oom_score_adj below the floor when restricted', async () => {
    const res = (oomScoreAdj: bigint) => ({ linux: { resources: { oomScoreAdj } } });
    expect((await containerSpec(input(res(-998n)))).process?.oomScoreAdj).toBe(0);
    expect((await containerSpec(input(res(500n)))).process?.oomScoreAdj).toBe(500);
    expect((await containerSpec(input(res(-998n), { oom: { restrict: false, floor: 0 } }))).process?.oomScoreAdj).toBe(-998);
    expect((await containerSpec(input(res(-998n), { oom: { restrict: true, floor: -500 } }))).process?.oomScoreAdj).toBe(-500);
  });

  it('maps resources and the cgroup path for both drivers', async () => {
    const config = { linux: { resources: { cpuShares: 512n, cpuQuota: 50_000n, cpuPeriod: 100_000n, memoryLimitInBytes: 1024n * 1024n * 100n, cpusetCpus: '0' } } };
    const spec = await containerSpec(input(config));
    expect(spec.linux?.resources?.cpu).toEqual({ shares: 512, quota: 50_000, period: 100_000, cpus: '0' });
    expect(spec.linux?.resources?.memory).toEqual({ limit: 104_857_600 });
    expect(spec.linux?.cgroupsPath).toBe('/shimkit/c1');
    const withParent = input(config, { sandbox: sandbox({ linux: { cgroupParent: '/kubepods/pod1' } }), cgroupDriver: 'cgroupfs' });
    expect((await containerSpec(withParent)).linux?.cgroupsPath).toBe('/kubepods/pod1/c1');
    expect((await containerSpec(input(config, { cgroupDriver: 'systemd' }))).linux?.cgroupsPath).toBe('system.slice:shimkit:c1');
  });

  it('joins the sandbox namespaces, or the host’s for host network/PID/IPC', async () => {
    const spec = await containerSpec(input({}));
    expect(spec.linux?.namespaces).toEqual(expect.arrayContaining([
      { type: 'network', path: '/var/run/netns/sb1' },
      { type: 'ipc', path: '/proc/9/ns/ipc' },
      { type: 'uts', path: '/proc/9/ns/uts' },
      { type: 'pid' },
      { type: 'mount' },
    ]));
    expect(spec.mounts).toContainEqual({ destination: '/etc/resolv.conf', type: 'bind', source: '/run/sb1/resolv.conf', options: ['rbind', 'ro'] });
    const host = sandbox({ linux: { securityContext: { namespaceOptions: { network: NamespaceMode.NODE, pid: NamespaceMode.NODE, ipc: NamespaceMode.NODE } } } });
    const hostSpec = await containerSpec(input({}, { sandbox: host }));
    expect(hostSpec.linux?.namespaces?.map((n) => n.type).sort()).toEqual(['mount']);
    expect(hostSpec.hostname).toBeUndefined();
  });

  it('applies run-as user, group and supplemental groups', async () => {
    const spec = await containerSpec(input({ linux: { securityContext: { runAsUser: { value: 1000n }, runAsGroup: { value: 2000n }, supplementalGroups: [3000n, 3001n] } } }));
    expect(spec.process?.user).toMatchObject({ uid: 1000, gid: 2000, additionalGids: expect.arrayContaining([3000, 3001]) });
  });

  it('grants the default capabilities, with add/drop and ALL', async () => {
    const caps = async (add: string[], drop: string[]) =>
      (await containerSpec(input({ linux: { securityContext: { capabilities: { addCapabilities: add, dropCapabilities: drop } } } }))).process?.capabilities?.bounding;
    expect((await caps([], []))?.sort()).toEqual([...DEFAULT_CAPABILITIES].sort());
    expect(await caps(['NET_ADMIN'], ['KILL'])).toEqual(expect.arrayContaining(['CAP_NET_ADMIN']));
    expect(await caps(['NET_ADMIN'], ['KILL'])).not.toContain('CAP_KILL');
    expect(await caps(['CHOWN'], ['ALL'])).toEqual(['CAP_CHOWN']);
    expect((await caps(['ALL'], []))?.sort()).toEqual((await hostCapabilities()).sort());
  });

  it('adds ambient capabilities to every set, inheritable and ambient included', async () => {
    const spec = await containerSpec(input({ linux: { securityContext: { capabilities: { dropCapabilities: ['NET_BIND_SERVICE'], addAmbientCapabilities: ['net_bind_service'] } } } }));
    const caps = spec.process?.capabilities;
    for (const set of [caps?.bounding, caps?.effective, caps?.permitted, caps?.inheritable, caps?.ambient]) expect(set).toContain('CAP_NET_BIND_SERVICE');
    expect(caps?.ambient).toEqual(['CAP_NET_BIND_SERVICE']);
    expect((await containerSpec(input({}))).process?.capabilities?.ambient ?? []).toEqual([]);
    await expect(containerSpec(input({ linux: { securityContext: { capabilities: { addAmbientCapabilities: ['ALL'] } } } }))).rejects.toMatchObject({ code: 'InvalidArgument', message: expect.stringMatching(/add_ambient_capabilities: unknown capabilities CAP_ALL/) });
  });

  it('makes privileged containers only in privileged sandboxes', async () => {
    await expect(containerSpec(input({ linux: { securityContext: { privileged: true } } }))).rejects.toMatchObject({ code: 'InvalidArgument' });
    const priv = sandbox({ linux: { securityContext: { privileged: true } } });
    const spec = await containerSpec(input({ linux: { securityContext: { privileged: true, seccomp: { profileType: SecurityProfile_ProfileType.RuntimeDefault } } } }, { sandbox: priv }));
    expect(spec.process?.capabilities?.bounding?.sort()).toEqual((await hostCapabilities()).sort());
    expect(spec.process?.apparmorProfile).toBe((await hostAppArmorEnabled()) ? 'unconfined' : undefined);
    expect(spec.linux?.seccomp).toBeUndefined();
    expect(spec.linux?.maskedPaths).toBeUndefined();
  });

  it('sets an AppArmor profile only on hosts that enforce AppArmor', async () => {
    const localhost = input({ linux: { securityContext: { apparmor: { profileType: SecurityProfile_ProfileType.Localhost, localhostRef: 'localhost/my-profile' } } } });
    const why = (await hostAppArmorEnabled()) ? /AppArmor profile "my-profile" is not loaded/ : /AppArmor is not enabled/;
    await expect(containerSpec(localhost)).rejects.toMatchObject({ code: 'InvalidArgument', message: expect.stringMatching(why) });
    const runtimeDefault = input({ linux: { securityContext: { apparmor: { profileType: SecurityProfile_ProfileType.RuntimeDefault } } } });
    expect((await containerSpec(runtimeDefault)).process?.apparmorProfile).toBeUndefined();
  });

  it('applies seccomp (RuntimeDefault, Unconfined, Localhost), no_new_privs, read-only rootfs and masked paths', async () => {
    const sc = (securityContext: DeepPartial<NonNullable<ContainerConfig['linux']>['securityContext']>) => input({ linux: { securityContext } });
    const def = await containerSpec(sc({ seccomp: { profileType: SecurityProfile_ProfileType.RuntimeDefault }, noNewPrivs: true, readonlyRootfs: true }));
    expect(def.linux?.seccomp?.defaultAction).toBe('SCMP_ACT_ALLOW');
    expect(def.linux?.seccomp?.syscalls?.[0]?.names).toContain('kexec_load');
    expect(def.process?.noNewPrivileges).toBe(true);
    expect(def.root?.readonly).toBe(true);
    expect((await containerSpec(sc({ seccomp: { profileType: SecurityProfile_ProfileType.Unconfined } }))).linux?.seccomp).toBeUndefined();
    expect((await containerSpec(sc({}))).process?.noNewPrivileges).toBe(false);
    const profile = join(dir, 'profile.json');
    await writeFile(profile, JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] }));
    expect((await containerSpec(sc({ seccomp: { profileType: SecurityProfile_ProfileType.Localhost, localhostRef: profile } }))).linux?.seccomp?.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect((await containerSpec(sc({ seccompProfilePath: `localhost/${profile}` }))).linux?.seccomp?.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect((await containerSpec(sc({ maskedPaths: ['/proc/secret'], readonlyPaths: ['/proc/ro'] }))).linux).toMatchObject({ maskedPaths: ['/proc/secret'], readonlyPaths: ['/proc/ro'] });
  });

  it('adds bind mounts with propagation and host devices', async () => {
    const spec = await containerSpec(input({
      mounts: [{ containerPath: '/shared', hostPath: '/tmp', propagation: MountPropagation.PROPAGATION_BIDIRECTIONAL }],
      devices: [{ containerPath: '/dev/mynull', hostPath: '/dev/null', permissions: 'rw' }],
    }));
    expect(spec.mounts).toContainEqual({ destination: '/shared', type: 'bind', source: '/tmp', options: ['rbind', 'rw', 'rshared'] });
    expect(spec.linux?.rootfsPropagation).toBe('rshared');
    expect(spec.linux?.devices).toContainEqual(expect.objectContaining({ path: '/dev/mynull', type: 'c', major: 1, minor: 3 }));
    expect(spec.linux?.resources?.devices).toContainEqual({ allow: true, type: 'c', major: 1, minor: 3, access: 'rw' });
  });

  it('names the problem of a bad request', async () => {
    await expect(containerSpec(input({ envs: [{ key: 'X', value: Buffer.from([0xc3]) }] }))).rejects.toThrow(/X is not valid UTF-8/);
    await expect(containerSpec(input({ mounts: [{ containerPath: '/x', hostPath: 'rel' }] }))).rejects.toThrow(/mounts\[0\]\.host_path must be absolute/);
    await expect(containerSpec(input({ linux: { securityContext: { runAsUsername: 'nobody' } } }))).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(containerSpec(input({ linux: { securityContext: { runAsGroup: { value: 5n } } } }))).rejects.toThrow(/run_as_group is set without run_as_user/);
    await expect(containerSpec(input({ mounts: [{ containerPath: '/x', hostPath: '/tmp', recursiveReadOnly: true }] }))).rejects.toThrow(/mounts\[0\]: recursive_read_only needs readonly/);
    await expect(containerSpec(input({ mounts: [{ containerPath: '/x', hostPath: '/tmp', readonly: true, recursiveReadOnly: true, propagation: MountPropagation.PROPAGATION_BIDIRECTIONAL }] }))).rejects.toThrow(/needs PROPAGATION_PRIVATE/);
    const noCmd = { ...image, config: { ...image.config, config: {} } } as ImageRecord;
    await expect(containerSpec(input({}, { image: noCmd }))).rejects.toThrow(/no command/);
  });
});

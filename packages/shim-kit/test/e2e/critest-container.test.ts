// What critest (kubernetes-sigs/cri-tools, pkg/validate/container.go, container_linux.go,
// runtime_info.go and networking.go) checks about containers, volumes, logs, stats, OOM and
// runtime info, done the same way through the gRPC socket with real runc. Pods are as critest
// builds them (no hostname; no log directory unless the check reads logs).
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ContainerState, MountPropagation, type ContainerConfig, type CriClient, type DeepPartial } from '@shimkit/cri-types';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PAUSE_CMD, text, useCritest } from './critest-fixtures.js';
import type { E2eBed } from './e2e-bed.js';
import { codeOf } from '../cri-fixtures.js';

const run = promisify(execFile);

let bed: E2eBed;
let cri: CriClient;
const cleanups: (() => Promise<unknown>)[] = [];

/** Containers as critest's CreateDefaultContainer makes them: `top`, no log path. */
const { runPod, create, startRunning } = useCritest(
  { logs: false, container: (bed, name, extra) => ({ metadata: { name, attempt: 2 }, image: { image: bed.images.busybox.reference }, command: ['top'], linux: {}, ...extra }) },
  (world) => ({ bed, cri } = world),
);
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const state = async (containerId: string) => (await cri.runtime.containerStatus({ containerId })).status?.state;
const listed = async (id: string) => (await cri.runtime.listContainers({ filter: { id } })).containers.map((c) => c.id);

/** critest's execSyncContainer: exit 0 and nothing on stderr. */
async function execOk(containerId: string, cmd: string[]): Promise<string> {
  const r = await cri.runtime.execSync({ containerId, cmd, timeout: 30n });
  expect([r.exitCode, text(r.stderr)], cmd.join(' ')).toEqual([0, '']);
  return text(r.stdout);
}

/** Log lines parsed as critest does: RFC 3339 timestamp, stream, tag, text. */
async function criLog(path: string): Promise<{ stream: string; tag: string; log: string }[]> {
  return (await readFile(path, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [time = '', stream = '', tag = '', ...rest] = line.split(' ');
      expect(time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/);
      return { stream, tag, log: rest.join(' ') };
    });
}

async function hostDir(name: string): Promise<string> {
  const dir = join(bed.dir, `${name}-${bed.id('vol')}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** A host dir with a tmpfs mounted at `tmpfs` in it (unmounted after the test). */
async function hostDirWithTmpfs(name: string): Promise<string> {
  const dir = await hostDir(name);
  const tmpfs = join(dir, 'tmpfs');
  await mkdir(tmpfs);
  await run('mount', ['-t', 'tmpfs', 'none', tmpfs]);
  cleanups.push(() => run('umount', ['-l', tmpfs]));
  return dir;
}

describe('critest Runtime info', () => {
  it('runtime should return version info and runtime conditions [Conformance]', async () => {
    const version = await cri.runtime.version({ version: '0.1.0' });
    expect(version.version).not.toBe('');
    expect(version.runtimeName).not.toBe('');
    expect(version.runtimeVersion).not.toBe('');
    expect(version.runtimeApiVersion).not.toBe('');
    const conditions = (await cri.runtime.status({ verbose: false })).status?.conditions ?? [];
    expect(conditions.filter((c) => (c.type === 'RuntimeReady' || c.type === 'NetworkReady') && c.status)).toHaveLength(2);
  });
});

describe('critest Container: basic operations (pod without log directory, containers without log path)', () => {
  it('creates, starts, stops and removes created, running and stopped containers [Conformance]', async () => {
    const pod = await runPod();
    const created = await create(pod, 'container-for-create');
    expect(await listed(created)).toEqual([created]);
    const running = await startRunning(pod, 'container-for-start');
    const t0 = Date.now();
    await cri.runtime.stopContainer({ containerId: running, timeout: 60n });
    expect(Date.now() - t0).toBeLessThan(60_000);
    expect(await state(running)).toBe(ContainerState.CONTAINER_EXITED);
    const live = await startRunning(pod, 'container-for-remove-running', { command: PAUSE_CMD });
    for (const id of [created, running, live]) {
      await cri.runtime.removeContainer({ containerId: id });
      expect(await listed(id)).toEqual([]);
    }
  });

  it('runtime should support execSync, and execSync with timeout leaves no process behind [Conformance]', async () => {
    const pod = await runPod();
    const c = await startRunning(pod, 'container-for-execSync');
    expect(await execOk(c, ['echo', '-n', 'hello'])).toBe('hello');
    await expect(cri.runtime.execSync({ containerId: c, cmd: ['sleep', '4321'], timeout: 1n })).rejects.toMatchObject({ code: 'DeadlineExceeded' });
    await vi.waitFor(async () => expect((await execOk(c, ['sh', '-c', 'pidof sleep || true'])).trim()).toBe(''), { timeout: 5_000 });
  });

  it('runtime should support listing container stats, with nil and label filters [Conformance]', async () => {
    const pod = await runPod();
    const ids = [
      await startRunning(pod, 'container-for-stats-1'),
      await startRunning(pod, 'container-for-stats-2', { labels: { foo: 'bar' } }),
      await startRunning(pod, 'container-for-stats-3'),
    ];
    const stats = (await cri.runtime.containerStats({ containerId: ids[0] })).stats;
    expect(stats?.attributes).toMatchObject({ id: ids[0], metadata: { name: 'container-for-stats-1' } });
    expect(stats?.cpu?.timestamp ?? 0n).not.toBe(0n);
    expect(stats?.memory?.timestamp ?? 0n).not.toBe(0n);
    const all = (await cri.runtime.listContainerStats({})).stats.map((s) => s.attributes?.id);
    expect(all).toEqual(expect.arrayContaining(ids));
    expect((await cri.runtime.listContainerStats({ filter: { id: ids[2] } })).stats.map((s) => s.attributes?.id)).toEqual([ids[2]]);
    expect((await cri.runtime.listContainerStats({ filter: { labelSelector: { foo: 'bar' } } })).stats.map((s) => s.attributes?.id)).toEqual([ids[1]]);
    expect((await cri.runtime.listContainerStats({ filter: { labelSelector: { foo: 'baz' } } })).stats).toEqual([]);
  });

  it('runtime should support set hostname [Conformance]', async () => {
    const pod = await runPod({ hostname: 'test-hostname' });
    const c = await startRunning(pod, 'container-for-hostname');
    expect((await execOk(c, ['hostname'])).trim()).toBe('test-hostname');
  });
});

describe('critest Container: volumes and logs', () => {
  it('runtime should support starting container with volume, also when the host path is a symlink [Conformance]', async () => {
    const pod = await runPod();
    const hostPath = await hostDir('volume');
    await writeFile(join(hostPath, 'testVolume.file'), '');
    const link = `${hostPath}-symlink`;
    await symlink(hostPath, link);
    for (const path of [hostPath, link]) {
      const c = await startRunning(pod, `with-volume-${path === link ? 'link' : 'dir'}`, { command: PAUSE_CMD, mounts: [{ hostPath: path, containerPath: path, selinuxRelabel: true }] });
      expect(await execOk(c, ['ls', '-A', path])).not.toBe('');
    }
  });

  it('runtime should support starting container with log [Conformance]', async () => {
    const pod = await runPod({}, true);
    const c = await create(pod, 'container-with-log', { command: ['echo', 'hello World'], logPath: 'container-with-log.log' });
    await cri.runtime.startContainer({ containerId: c });
    await vi.waitFor(async () => expect(await state(c)).toBe(ContainerState.CONTAINER_EXITED), { timeout: 20_000 });
    expect(await criLog(join(pod.config.logDirectory as string, 'container-with-log.log'))).toContainEqual({ stream: 'stdout', tag: 'F', log: 'hello World' });
  });
});

describe('critest Container Mount Propagation (privileged pod and container)', () => {
  for (const [propagation, name] of [
    [MountPropagation.PROPAGATION_PRIVATE, 'rprivate'],
    [MountPropagation.PROPAGATION_BIDIRECTIONAL, 'rshared'],
    [MountPropagation.PROPAGATION_HOST_TO_CONTAINER, 'rslave'],
  ] as const) {
    it(`mount with '${name}'`, async () => {
      const pod = await runPod({ linux: { securityContext: { privileged: true } } });
      const hostPath = await hostDir('propagation');
      const mntSource = join(hostPath, 'mnt');
      const mntPoint = join(mntSource, 'propagationMnt');
      const srcDir = join(hostPath, 'propagationSrcDir');
      await mkdir(mntPoint, { recursive: true });
      await mkdir(srcDir, { recursive: true });
      await writeFile(join(srcDir, 'flagFile'), '');
      await run('mount', ['--rbind', mntSource, mntSource]);
      cleanups.push(() => run('umount', ['-l', mntSource]));
      await run('mount', [propagation === MountPropagation.PROPAGATION_PRIVATE ? '--make-rprivate' : '--make-rshared', mntSource]);

      const c = await create(pod, `mount-propagation-${name}`, { command: PAUSE_CMD, linux: { securityContext: { privileged: true } }, mounts: [{ hostPath: mntSource, containerPath: mntSource, propagation }] });
      const mounts = (await cri.runtime.containerStatus({ containerId: c, verbose: true })).status?.mounts ?? [];
      expect(mounts).toHaveLength(1);
      expect(mounts[0]).toMatchObject({ containerPath: mntSource, hostPath: mntSource, readonly: false, selinuxRelabel: false, propagation });
      await cri.runtime.startContainer({ containerId: c });

      await run('mount', ['--rbind', srcDir, mntPoint]);
      const seen = await execOk(c, ['ls', '-A', mntPoint]);
      expect(seen === '').toBe(propagation === MountPropagation.PROPAGATION_PRIVATE);

      const containerMntPoint = join(mntSource, 'containerMntPoint');
      await execOk(c, ['sh', '-c', `mkdir -p ${containerMntPoint}`]);
      await execOk(c, ['sh', '-c', `mount --bind /etc ${containerMntPoint}`]);
      const onHost = await readdir(containerMntPoint);
      expect(onHost.length > 0).toBe(propagation === MountPropagation.PROPAGATION_BIDIRECTIONAL);
    });
  }
});

describe('critest Container Mount Readonly', () => {
  it('should support non-recursive readonly mounts (a submount stays writable)', async () => {
    const pod = await runPod({ linux: { securityContext: { privileged: true } } });
    const hostPath = await hostDirWithTmpfs('readonly');
    const c = await create(pod, 'test-mount', { command: PAUSE_CMD, mounts: [{ hostPath, containerPath: '/mnt', readonly: true, recursiveReadOnly: false, selinuxRelabel: true }] });
    expect((await cri.runtime.containerStatus({ containerId: c, verbose: true })).status?.mounts).toHaveLength(1);
    await cri.runtime.startContainer({ containerId: c });
    await execOk(c, ['touch', '/mnt/tmpfs/file']);
    const top = await cri.runtime.execSync({ containerId: c, cmd: ['touch', '/mnt/file'], timeout: 10n });
    expect(text(top.stderr)).toContain('Read-only file system');
  });

  it('should support recursive readonly mounts (the submount is read-only too; runc 1.1 with mount_setattr)', async () => {
    const pod = await runPod({ linux: { securityContext: { privileged: true } } });
    const hostPath = await hostDirWithTmpfs('rro');
    const c = await create(pod, 'test-rro-mount', { command: PAUSE_CMD, mounts: [{ hostPath, containerPath: '/mnt', readonly: true, recursiveReadOnly: true, selinuxRelabel: true }] });
    await cri.runtime.startContainer({ containerId: c });
    await execOk(c, ['sh', '-c', 'touch /mnt/tmpfs/foo 2>&1 | grep -q "Read-only file system"']);
  });

  it('rejects recursive read-only mounts that are not read-only or propagate', async () => {
    const pod = await runPod({ linux: { securityContext: { privileged: true } } });
    const hostPath = await hostDir('rro');
    const code = (mount: DeepPartial<NonNullable<ContainerConfig['mounts']>[number]>) =>
      codeOf(create(pod, `rro-${bed.id('c')}`, { command: PAUSE_CMD, mounts: [{ hostPath, containerPath: '/mnt', recursiveReadOnly: true, selinuxRelabel: true, ...mount }] }));
    expect(await code({ readonly: false })).toBe('InvalidArgument');
    expect(await code({ readonly: true, propagation: MountPropagation.PROPAGATION_HOST_TO_CONTAINER })).toBe('InvalidArgument');
    expect(await code({ readonly: true, propagation: MountPropagation.PROPAGATION_BIDIRECTIONAL })).toBe('InvalidArgument');
  });
});

describe('container resources as kubelet sends them, read back from the cgroup', () => {
  it('applies cpu shares, quota and period, the memory limit and oom_score_adj at creation', async () => {
    const pod = await runPod();
    const c = await startRunning(pod, 'resources', {
      linux: { resources: { cpuShares: 512n, cpuPeriod: 100_000n, cpuQuota: 50_000n, memoryLimitInBytes: 64n << 20n, memorySwapLimitInBytes: 64n << 20n, oomScoreAdj: 500n } },
    });
    const cgroup = (controller: string, file: string): Promise<string> => readFile(join('/sys/fs/cgroup', controller, bed.cgroupParent, c, file), 'utf8').then((v) => v.trim());
    expect(await cgroup('cpu', 'cpu.shares')).toBe('512');
    expect(await cgroup('cpu', 'cpu.cfs_period_us')).toBe('100000');
    expect(await cgroup('cpu', 'cpu.cfs_quota_us')).toBe('50000');
    expect(await cgroup('memory', 'memory.limit_in_bytes')).toBe(String(64 << 20));
    expect((await execOk(c, ['cat', '/proc/1/oom_score_adj'])).trim()).toBe('500');
    expect((await cri.runtime.containerStatus({ containerId: c })).status?.resources?.linux).toMatchObject({ cpuShares: 512n, cpuQuota: 50_000n, memoryLimitInBytes: 64n << 20n });
  });
});

describe('critest Container OOM', () => {
  it('should terminate with exitCode 137 and reason OOMKilled', async () => {
    const pod = await runPod({ linux: { securityContext: { privileged: true } } });
    const c = await create(pod, 'OOM-test', {
      command: ['sh', '-c', 'dd if=/dev/zero of=/dev/null bs=20M'],
      linux: { resources: { memoryLimitInBytes: 15n << 20n, memorySwapLimitInBytes: 15n << 20n } },
    });
    await cri.runtime.startContainer({ containerId: c });
    await vi.waitFor(async () => expect(await state(c)).toBe(ContainerState.CONTAINER_EXITED), { timeout: 30_000 });
    expect((await cri.runtime.containerStatus({ containerId: c })).status).toMatchObject({ reason: 'OOMKilled', exitCode: 137 });
  });
});

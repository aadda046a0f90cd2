// What critest (kubernetes-sigs/cri-tools, pkg/validate/security_context_linux.go and
// pod_linux.go) checks about Linux security contexts, namespaces and sysctls, done the same
// way through the gRPC socket with real runc. Images critest pulls from public registries are
// replaced by busybox doing the same thing (nginx: a shell writing its pid; ipcs: /proc/sysvipc/shm;
// the nonewprivs image: /proc/self/status) and by an image built here for SupplementalGroupsPolicy.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  ContainerState,
  NamespaceMode,
  SecurityProfile_ProfileType,
  SupplementalGroupsPolicy,
  type ContainerConfig,
  type CriClient,
  type DeepPartial,
} from '@shimkit/cri-types';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildImages, PAUSE_CMD, text, useCritest, type CritestPod } from './critest-fixtures.js';
import { logLines, type E2eBed } from './e2e-bed.js';
import { codeOf } from '../cri-fixtures.js';

const run = promisify(execFile);

let bed: E2eBed;
let cri: CriClient;
let profileDir: string;
/** An image whose default user (1000) is listed in /etc/group as a member of group 50000, as critest's test-image-predefined-group. */
let groupImage: string;

/** Builds and pushes the SupplementalGroupsPolicy image: busybox plus a user 1000 that is a member of group 50000. */
function pushGroupImage(): Promise<string> {
  return buildImages(bed, async (store, rootfs) => {
    await writeFile(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\ndefault-user:x:1000:1000::/home/default-user:/bin/sh\n');
    await writeFile(join(rootfs, 'etc/group'), 'root:x:0:\ndefault-user:x:1000:\ngroup-defined-in-image:x:50000:default-user\n');
    const reference = `${bed.registry.host}/predefined-group:latest`;
    const built = await store.builder().addDirectory(rootfs).configure({ env: { PATH: '/bin:/sbin:/usr/bin:/usr/sbin' }, workingDir: '/', cmd: ['sh'], user: '1000' }).commit(reference);
    await store.push(built.id, reference);
    return reference;
  });
}

/** Pods as critest builds them (no hostname, no DNS), in this bed's cgroup parent and log dir; containers with the bed's defaults running `top`. */
const { runPod, create, startRunning } = useCritest({ logs: true, container: (bed, name, extra) => bed.container(name, { command: PAUSE_CMD, ...extra }) }, (world) => ({ bed, cri } = world));
beforeAll(async () => {
  groupImage = await pushGroupImage();
  await cri.image.pullImage({ image: { image: groupImage } });
  profileDir = await mkdtemp(join(tmpdir(), 'shimkit-critest-seccomp-'));
  // critest's profiles: no architectures, SCMP_ACT_ERRNO without errnoRet.
  await writeFile(join(profileDir, 'block-host-name.json'), JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['sethostname'], action: 'SCMP_ACT_ERRNO' }] }));
  await writeFile(join(profileDir, 'block-chmod.json'), JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['chmod', 'fchmodat'], action: 'SCMP_ACT_ERRNO' }] }));
}, 120_000);
afterAll(async () => {
  if (profileDir !== undefined) await rm(profileDir, { recursive: true, force: true });
});

/** Runs a container to its exit and returns its log lines (`stdout F text`). */
async function runToExit(pod: CritestPod, name: string, extra: DeepPartial<ContainerConfig>): Promise<string[]> {
  const containerId = await create(pod, name, extra);
  await cri.runtime.startContainer({ containerId });
  await vi.waitFor(async () => expect((await cri.runtime.containerStatus({ containerId })).status?.state).toBe(ContainerState.CONTAINER_EXITED), { timeout: 20_000 });
  return logLines(join(pod.config.logDirectory as string, `${name}.log`));
}

async function execIn(containerId: string, cmd: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const r = await cri.runtime.execSync({ containerId, cmd, timeout: 10n });
  return { exitCode: r.exitCode, stdout: text(r.stdout), stderr: text(r.stderr) };
}

async function execOk(containerId: string, cmd: string[]): Promise<string> {
  const r = await execIn(containerId, cmd);
  expect(r.exitCode, `${cmd.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

describe('critest Security Context: NamespaceOption', () => {
  it('runtime should support HostPID', async () => {
    const ns = { pid: NamespaceMode.NODE, ipc: NamespaceMode.POD, network: NamespaceMode.POD };
    const pod = await runPod({ linux: { securityContext: { namespaceOptions: ns } } });
    // nginx in critest: a process whose pid file holds its host pid
    const server = await startRunning(pod, 'server', { command: ['sh', '-c', 'echo $$ > /tmp/server.pid; exec sleep 1000'], linux: { securityContext: { namespaceOptions: ns } } });
    await vi.waitFor(async () => expect(await execOk(server, ['cat', '/tmp/server.pid'])).toMatch(/^\d+\n$/), { timeout: 10_000 });
    const serverPid = (await execOk(server, ['cat', '/tmp/server.pid'])).trim();
    const client = await startRunning(pod, 'client', { command: ['sh', '-c', 'sleep 1000'], linux: { securityContext: { namespaceOptions: ns } } });
    expect((await execOk(client, ['pidof', 'sleep'])).trim().split(' ')).toContain(serverPid);
  });

  for (const mode of [NamespaceMode.NODE, NamespaceMode.POD]) {
    it(`runtime should support HostIpc is ${mode === NamespaceMode.NODE ? 'true' : 'false'}`, async () => {
      const out = (await run('ipcmk', ['-M', '1048576'], { encoding: 'utf8' })).stdout;
      const segment = out.trim().replace('Shared memory id: ', '');
      try {
        const ns = { pid: NamespaceMode.POD, ipc: mode, network: NamespaceMode.POD };
        const pod = await runPod({ linux: { securityContext: { namespaceOptions: ns } } });
        const c = await startRunning(pod, 'ipc', { linux: { securityContext: { namespaceOptions: ns } } });
        // `ipcs -m` in critest; busybox here has no ipcs applet, /proc/sysvipc/shm is what it reads
        const ids = (await execOk(c, ['cat', '/proc/sysvipc/shm'])).split('\n').slice(1).map((l) => l.trim().split(/\s+/)[1]);
        if (mode === NamespaceMode.NODE) expect(ids).toContain(segment);
        else expect(ids).not.toContain(segment);
      } finally {
        await run('ipcrm', ['-m', segment]);
      }
    });
  }

  it('runtime should support PodPID and ContainerPID', async () => {
    const podPid = await runPod({ linux: { securityContext: { namespaceOptions: { pid: NamespaceMode.POD } } } });
    const shared = await startRunning(podPid, 'shared', { command: ['sleep', '1000'], linux: { securityContext: { namespaceOptions: { pid: NamespaceMode.POD } } } });
    // critest: pid 1 is not the container's own process (nginx there); here it is the pod's pause process
    expect(await execOk(shared, ['cat', '/proc/1/cmdline'])).not.toBe('sleep\x001000\x00');
    const own = await runPod({ linux: { securityContext: { namespaceOptions: { pid: NamespaceMode.CONTAINER } } } });
    const single = await startRunning(own, 'single', { command: ['sleep', '1000'], linux: { securityContext: { namespaceOptions: { pid: NamespaceMode.CONTAINER } } } });
    expect(await execOk(single, ['cat', '/proc/1/cmdline'])).toBe('sleep\x001000\x00');
  });

  for (const hostNetwork of [true, false]) {
    it(`runtime should support HostNetwork is ${String(hostNetwork)}`, async () => {
      const srv: Server = createServer((s) => s.end('hello'));
      await new Promise<void>((resolve) => srv.listen(0, resolve));
      try {
        const port = (srv.address() as AddressInfo).port;
        const ns = { pid: NamespaceMode.POD, ipc: NamespaceMode.POD, network: hostNetwork ? NamespaceMode.NODE : NamespaceMode.POD };
        const pod = await runPod({ linux: { securityContext: { namespaceOptions: ns } } });
        const lines = await runToExit(pod, 'netstat', { command: ['sh', '-c', 'netstat -ln'], linux: { securityContext: { namespaceOptions: ns } } });
        expect(lines.some((l) => l.includes(`:${port}`))).toBe(hostNetwork);
      } finally {
        await new Promise((resolve) => srv.close(resolve));
      }
    });
  }
});

describe('critest Security Context: bucket', () => {
  it('runtime should support SupplementalGroups', async () => {
    const pod = await runPod();
    const c = await startRunning(pod, 'groups', { linux: { securityContext: { supplementalGroups: [1234n, 5678n] } } });
    expect((await execOk(c, ['id', '-G'])).trim().split(' ')).toEqual(expect.arrayContaining(['1234', '5678']));
  });

  it('runtime should support RunAsUser, RunAsUserName and RunAsGroup', async () => {
    const pod = await runPod();
    const byUid = await startRunning(pod, 'uid', { linux: { securityContext: { runAsUser: { value: 1001n } } } });
    expect(await execOk(byUid, ['id', '-u'])).toBe('1001\n');
    const byName = await startRunning(pod, 'name', { linux: { securityContext: { runAsUsername: 'nobody' } } });
    expect(await execOk(byName, ['id', '-nu'])).toBe('nobody\n');
    const lines = await runToExit(pod, 'group', { command: ['sh', '-c', 'echo $(id -u):$(id -g)'], linux: { securityContext: { runAsUser: { value: 1001n }, runAsGroup: { value: 1002n } } } });
    expect(lines).toEqual(['stdout F 1001:1002']);
  });

  it('runtime should return error if RunAsGroup is set without RunAsUser', async () => {
    const pod = await runPod();
    const failed = codeOf(create(pod, 'group-only', { command: ['sh', '-c', 'echo $(id -u):$(id -g)'], linux: { securityContext: { runAsGroup: { value: 1002n } } } }));
    expect(await failed).toBe('InvalidArgument');
    expect((await cri.runtime.listContainers({ filter: { podSandboxId: pod.podSandboxId } })).containers).toEqual([]);
  });

  it('runtime should support that ReadOnlyRootfs is false and true', async () => {
    const pod = await runPod();
    const cmd = ['sh', '-c', "touch test.go && [ -f test.go ] && echo 'Found'"];
    expect(await runToExit(pod, 'rw', { command: cmd, linux: { securityContext: { readonlyRootfs: false } } })).toEqual(['stdout F Found']);
    expect(await runToExit(pod, 'ro', { command: cmd, linux: { securityContext: { readonlyRootfs: true } } })).toEqual(['stderr F touch: test.go: Read-only file system']);
  });

  it('runtime should support Privileged is true and false (brctl addbr; host devices)', async () => {
    const privileged = await runPod({ linux: { securityContext: { privileged: true } } });
    const yes = await startRunning(privileged, 'privileged', { linux: { securityContext: { privileged: true } } });
    expect((await execIn(yes, ['brctl', 'addbr', 'foobar'])).exitCode).toBe(0);
    const plain = await runPod({ linux: { securityContext: { privileged: false } } });
    const no = await startRunning(plain, 'unprivileged', { linux: { securityContext: { privileged: false } } });
    expect((await execIn(no, ['brctl', 'addbr', 'foobar'])).exitCode).not.toBe(0);
    // a privileged container also gets the host's devices (containerd's default), others only the standard ones
    const hostOnly = ['fuse', 'loop-control', 'kvm', 'autofs'].map((d) => `/dev/${d}`).filter((d) => existsSync(d));
    expect(hostOnly).not.toEqual([]);
    for (const device of hostOnly) {
      expect((await execIn(yes, ['test', '-c', device])).exitCode, device).toBe(0);
      expect((await execIn(no, ['test', '-e', device])).exitCode, device).not.toBe(0);
    }
  });

  it('runtime should support adding and dropping capabilities, and adding and dropping ALL', async () => {
    const pod = await runPod();
    const netAdmin = await startRunning(pod, 'net-admin', { linux: { securityContext: { capabilities: { addCapabilities: ['NET_ADMIN'] } } } });
    expect((await execIn(netAdmin, ['brctl', 'addbr', 'foobar'])).exitCode).toBe(0);
    const plain = await startRunning(pod, 'default', { command: ['top'], linux: {} });
    expect((await execIn(plain, ['brctl', 'addbr', 'foobar'])).exitCode).not.toBe(0);

    const noRaw = await startRunning(pod, 'no-net-raw', { linux: { securityContext: { capabilities: { dropCapabilities: ['NET_RAW'] } } } });
    const ping = await execIn(noRaw, ['ping', '127.0.0.1']);
    expect(ping.exitCode).not.toBe(0);
    expect(ping.stdout).not.toBe('');
    expect(ping.stderr).toContain('permission denied');

    const all = await startRunning(pod, 'add-all', { linux: { securityContext: { capabilities: { addCapabilities: ['ALL'] } } } });
    const allStatus = await execIn(all, ['cat', '/proc/self/status']);
    expect([allStatus.exitCode, allStatus.stderr]).toEqual([0, '']);
    expect(allStatus.stdout).not.toMatch(/CapBnd:\s0000000000000000/);
    const none = await startRunning(pod, 'drop-all', { linux: { securityContext: { capabilities: { dropCapabilities: ['ALL'] } } } });
    const noneStatus = await execIn(none, ['cat', '/proc/self/status']);
    expect([noneStatus.exitCode, noneStatus.stderr]).toEqual([0, '']);
    expect(noneStatus.stdout).toMatch(/CapBnd:\s0000000000000000/);
  });

  it('keeps ambient capabilities for a non-root process', async () => {
    const pod = await runPod();
    const c = await startRunning(pod, 'ambient', { linux: { securityContext: { runAsUser: { value: 1000n }, capabilities: { addAmbientCapabilities: ['NET_BIND_SERVICE'] } } } });
    const status = await execOk(c, ['cat', '/proc/self/status']);
    const mask = (field: string) => BigInt(`0x${/^(\w+):\s+([0-9a-f]+)$/m.exec(status.split('\n').find((l) => l.startsWith(`${field}:`)) ?? '')?.[2] ?? '0'}`);
    const netBindService = 1n << 10n;
    expect([mask('CapAmb'), mask('CapEff') & netBindService]).toEqual([netBindService, netBindService]);
    const plain = await startRunning(pod, 'no-ambient', { linux: { securityContext: { runAsUser: { value: 1000n } } } });
    expect(await execOk(plain, ['grep', 'CapEff:', '/proc/self/status'])).toMatch(/CapEff:\s+0000000000000000/);
  });

  it('runtime should support MaskedPaths and ReadonlyPaths', async () => {
    const pod = await runPod();
    const masked = await startRunning(pod, 'masked', { linux: { securityContext: { maskedPaths: ['/bin/ls'] } } });
    // critest runs `/bin/sh -c ls` and expects "/bin/sh: ls: Permission denied"; Debian's busybox-static
    // sh runs its own applets without exec, so here the masked file is executed and read directly.
    const direct = await cri.runtime.execSync({ containerId: masked, cmd: ['/bin/ls'], timeout: 10n }).then((r) => r.exitCode, (e: Error) => e.message);
    expect(direct).not.toBe(0);
    expect(await execOk(masked, ['cat', '/bin/ls'])).toBe('');
    const readonly = await startRunning(pod, 'readonly', { linux: { securityContext: { readonlyPaths: ['/tmp'] } } });
    const touch = await execIn(readonly, ['touch', '/tmp/test']);
    expect(touch.exitCode).not.toBe(0);
    expect(touch.stderr).toBe('touch: /tmp/test: Read-only file system\n');
  });
});

describe('critest Security Context: SupplementalGroupsPolicy', () => {
  it('reports the feature in Status', async () => {
    expect((await cri.runtime.status({ verbose: false })).features?.supplementalGroupsPolicy).toBe(true);
  });

  for (const [policy, groups] of [
    [SupplementalGroupsPolicy.Merge, [1000n, 1234n, 50000n]],
    [SupplementalGroupsPolicy.Strict, [1000n, 1234n]],
  ] as const) {
    it(`${policy === SupplementalGroupsPolicy.Merge ? 'Merge' : 'Strict'}: the container's groups ${policy === SupplementalGroupsPolicy.Merge ? 'include' : 'leave out'} the image's /etc/group memberships`, async () => {
      const pod = await runPod();
      const name = `policy-${policy}`;
      const containerId = await startRunning(pod, name, {
        image: { image: groupImage },
        command: ['sh', '-c', 'id -G; sleep 1000'],
        linux: { securityContext: { runAsUser: { value: 1000n }, supplementalGroups: [1234n], supplementalGroupsPolicy: policy } },
      });
      const expected = `${groups.join(' ')}\n`;
      await vi.waitFor(async () => expect(await logLines(join(pod.config.logDirectory as string, `${name}.log`))).toEqual([`stdout F ${expected.trim()}`]), { timeout: 10_000 });
      expect(await execOk(containerId, ['id', '-G'])).toBe(expected);
      const user = (await cri.runtime.containerStatus({ containerId })).status?.user;
      const sorted = [...(user?.linux?.supplementalGroups ?? [])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      expect({ uid: user?.linux?.uid, gid: user?.linux?.gid, groups: sorted }).toEqual({ uid: 1000n, gid: 1000n, groups: [...groups] });
    });
  }
});

describe('critest Security Context: SeccompProfilePath', () => {
  const seccompField = async (profile: DeepPartial<{ profileType: SecurityProfile_ProfileType; localhostRef: string }> | undefined): Promise<string> => {
    const pod = await runPod({ linux: { securityContext: profile === undefined ? {} : { seccomp: profile } } });
    const c = await startRunning(pod, 'seccomp', { linux: { securityContext: profile === undefined ? {} : { seccomp: profile } } });
    return execOk(c, ['grep', 'Seccomp:', '/proc/self/status']);
  };

  it('should support seccomp unconfined, default and nil profile on the container', async () => {
    expect(await seccompField({ profileType: SecurityProfile_ProfileType.Unconfined })).toMatch(/Seccomp:\s+0/);
    expect(await seccompField({})).toMatch(/Seccomp:\s+2/);
    expect(await seccompField(undefined)).toMatch(/Seccomp:\s+0/);
  });

  it('should support seccomp localhost profile on the container', async () => {
    const profile = { profileType: SecurityProfile_ProfileType.Localhost, localhostRef: join(profileDir, 'block-chmod.json') };
    const pod = await runPod({ linux: { securityContext: { seccomp: profile } } });
    const c = await startRunning(pod, 'chmod', { linux: { securityContext: { seccomp: profile } } });
    const r = await execIn(c, ['chmod', '400', '/']);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain('Operation not permitted');
  });

  it('sethostname: allowed unconfined with SYS_ADMIN, blocked by a localhost profile, allowed when privileged', async () => {
    const hostname = (containerId: string) => execIn(containerId, ['hostname', 'ANewHostName']).then((r) => r.exitCode);
    const pod = await runPod();
    const unconfined = await startRunning(pod, 'unconfined', {
      command: ['sleep', '60'],
      linux: { securityContext: { capabilities: { addCapabilities: ['SYS_ADMIN'] }, seccomp: { profileType: SecurityProfile_ProfileType.Unconfined } } },
    });
    expect(await hostname(unconfined)).toBe(0);
    const blockHostName = { profileType: SecurityProfile_ProfileType.Localhost, localhostRef: join(profileDir, 'block-host-name.json') };
    const blocked = await startRunning(pod, 'blocked', { command: ['sleep', '60'], linux: { securityContext: { capabilities: { addCapabilities: ['SYS_ADMIN'] }, seccomp: blockHostName } } });
    expect(await hostname(blocked)).not.toBe(0);
    const privilegedPod = await runPod({ linux: { securityContext: { privileged: true } } });
    const privileged = await startRunning(privilegedPod, 'privileged', { command: ['sleep', '60'], linux: { securityContext: { privileged: true, seccomp: blockHostName } } });
    expect(await hostname(privileged)).toBe(0);
  });

  it('RuntimeDefault blocks unshare and keeps sethostname behind CAP_SYS_ADMIN; CAP_SYS_ADMIN unlocks both', async () => {
    const pod = await runPod();
    const c = await startRunning(pod, 'default', { linux: { securityContext: { seccomp: { profileType: SecurityProfile_ProfileType.RuntimeDefault } } } });
    expect((await execIn(c, ['unshare', '-U', 'true'])).exitCode).not.toBe(0);
    expect((await execIn(c, ['hostname', 'other'])).exitCode).not.toBe(0);
    // with CAP_SYS_ADMIN, RuntimeDefault lets through what the capability allows (as Docker's and containerd's profiles do)
    const admin = await startRunning(pod, 'default-admin', { linux: { securityContext: { capabilities: { addCapabilities: ['SYS_ADMIN'] }, seccomp: { profileType: SecurityProfile_ProfileType.RuntimeDefault } } } });
    expect(await execOk(admin, ['grep', 'Seccomp:', '/proc/self/status'])).toMatch(/Seccomp:\s+2/);
    expect((await execIn(admin, ['unshare', '-m', 'true'])).exitCode).toBe(0);
    expect((await execIn(admin, ['hostname', 'other'])).exitCode).toBe(0);
  });
});

describe('critest Security Context: NoNewPrivs (nonewprivs image replaced by /proc/self/status)', () => {
  it('sets no_new_privs when true and leaves it off when false', async () => {
    const pod = await runPod();
    const on = await startRunning(pod, 'nnp-true', { linux: { securityContext: { noNewPrivs: true, runAsUser: { value: 1000n } } } });
    expect(await execOk(on, ['grep', 'NoNewPrivs:', '/proc/self/status'])).toMatch(/NoNewPrivs:\s+1/);
    const off = await startRunning(pod, 'nnp-false', { linux: { securityContext: { noNewPrivs: false, runAsUser: { value: 1000n } } } });
    expect(await execOk(off, ['grep', 'NoNewPrivs:', '/proc/self/status'])).toMatch(/NoNewPrivs:\s+0/);
  });
});

describe('critest PodSandbox: runtime should support sysctls', () => {
  it('should support safe and unsafe sysctls', async () => {
    const pod = await runPod({ linux: { sysctls: { 'kernel.shm_rmid_forced': '1', 'fs.mqueue.msg_max': '100' } } });
    const c = await startRunning(pod, 'sysctls', { command: ['top'], linux: {} });
    expect((await execOk(c, ['cat', '/proc/sys/kernel/shm_rmid_forced'])).trim()).toBe('1');
    expect((await execOk(c, ['cat', '/proc/sys/fs/mqueue/msg_max'])).trim()).toBe('100');
    expect((await readFile('/proc/sys/fs/mqueue/msg_max', 'utf8')).trim()).not.toBe('100');
  });
});

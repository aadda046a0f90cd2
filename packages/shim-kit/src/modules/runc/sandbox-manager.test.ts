import { execFileSync } from 'node:child_process';
import { readFile, readlink, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { NamespaceMode, type PodSandboxConfig } from '@shimkit/cri-types';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isShimError } from '../../errors.js';
import type { SandboxInfo } from '../../interfaces/runtime-backend.js';
import type { RuncConmonBackend } from './runc-backend.js';
import { mountsUnder } from './sandbox-pins.js';
import { addBusyboxImage, BusyboxImages, createRuncTestBed, type RuncTestBed } from './runc-test-bed.test-helper.js';

let bed: RuncTestBed;
let backend: RuncConmonBackend;
const made: { sandboxes: string[]; containers: string[] } = { sandboxes: [], containers: [] };

beforeAll(async () => {
  bed = await createRuncTestBed('sandbox');
  backend = bed.backend();
});
afterAll(async () => {
  await backend.close();
  await bed.close();
});
afterEach(async () => {
  for (const id of made.containers.splice(0)) await backend.removeContainer(id);
  for (const id of made.sandboxes.splice(0)) {
    await backend.stopSandbox(id);
    await backend.removeSandbox(id);
  }
  expect(await bed.leftovers()).toEqual({ containers: [], conmons: [], mounts: [] });
});

const linux = (options: { network?: NamespaceMode; ipc?: NamespaceMode; pid?: NamespaceMode }, sysctls: Record<string, string> = {}): PodSandboxConfig['linux'] => ({
  cgroupParent: `/${bed.cgroupParent}`,
  securityContext: {
    namespaceOptions: { network: options.network ?? NamespaceMode.POD, ipc: options.ipc ?? NamespaceMode.POD, pid: options.pid ?? NamespaceMode.CONTAINER, targetId: '', usernsOptions: undefined },
  } as NonNullable<PodSandboxConfig['linux']>['securityContext'],
  sysctls,
  overhead: undefined,
  resources: undefined,
});

async function pod(extra: Partial<PodSandboxConfig> = {}, netnsPath?: string): Promise<SandboxInfo & { id: string }> {
  const id = bed.id('sb');
  const info = await backend.runSandbox({ id, config: bed.podConfig(id, extra), runtimeHandler: '', ...(netnsPath === undefined ? {} : { netnsPath }) });
  made.sandboxes.push(id);
  return { ...info, id };
}

async function container(sb: SandboxInfo & { id: string }, hostnameInSpec?: string): Promise<string> {
  const id = bed.id('ctr');
  await backend.createContainer({ id, sandboxId: sb.id, spec: bed.spec(id, sb, ['sleep', '3600'], hostnameInSpec === undefined ? {} : { hostname: hostnameInSpec }), rootfs: bed.rootfs, logPath: '' });
  made.containers.push(id);
  await backend.startContainer(id);
  return id;
}

const sh = async (id: string, script: string): Promise<string> => {
  const r = await backend.execSync(id, { cmd: ['sh', '-c', script], timeoutMs: 10_000 });
  expect(r.stderr.toString()).toBe('');
  return r.stdout.toString();
};

describe('RuncConmonBackend pods (pinned namespaces, no infra process)', () => {
  it('two containers of a pod share the IPC and UTS namespaces, the hostname and /dev/shm (64 MiB)', async () => {
    const sb = await pod({ hostname: 'web-0' });
    expect(sb.pid).toBeUndefined();
    expect(Object.keys(sb.namespaces).sort()).toEqual(['ipc', 'uts']);
    const [a, b] = [await container(sb, 'web-0'), await container(sb, 'web-0')];
    const nsOf = async (id: string, type: string): Promise<string> => readlink(`/proc/${String((await backend.containerState(id)).pid)}/ns/${type}`);
    expect(await nsOf(a, 'ipc')).toBe(await nsOf(b, 'ipc'));
    expect(await nsOf(a, 'uts')).toBe(await nsOf(b, 'uts'));
    expect(await nsOf(a, 'ipc')).not.toBe(await readlink('/proc/self/ns/ipc'));
    expect(await sh(a, 'hostname; cat /etc/hostname')).toBe('web-0\nweb-0\n');
    expect(await sh(b, 'hostname')).toBe('web-0\n');
    await sh(a, 'echo shared > /dev/shm/marker');
    expect(await sh(b, 'cat /dev/shm/marker')).toBe('shared\n');
    expect((await sh(b, 'df -k /dev/shm | tail -n 1')).split(/\s+/)[1]).toBe('65536');
    expect(await sh(a, 'grep localhost /etc/hosts | head -n 1')).toMatch(/^127\.0\.0\.1\s+localhost/);
  });

  it('writes resolv.conf from the DNS config', async () => {
    const sb = await pod({ dnsConfig: { servers: ['10.96.0.10', '10.96.0.11'], searches: ['ns1.svc.cluster.local', 'svc.cluster.local'], options: ['ndots:5', 'edns0'] } });
    const id = await container(sb);
    expect(await sh(id, 'cat /etc/resolv.conf')).toBe('search ns1.svc.cluster.local svc.cluster.local\nnameserver 10.96.0.10\nnameserver 10.96.0.11\noptions ndots:5 edns0\n');
  });

  it('applies IPC sysctls in the pod IPC namespace and net.* ones in its network namespace, not on the host', async () => {
    const netns = join(bed.dir, `netns-${process.pid}`);
    await writeFile(netns, '');
    execFileSync('unshare', [`--net=${netns}`, 'true']);
    try {
      const hostShmmni = (await readFile('/proc/sys/kernel/shmmni', 'utf8')).trim();
      const sb = await pod({ linux: linux({}, { 'kernel.shmmni': '2048', 'net.ipv4.ip_unprivileged_port_start': '80' }) }, netns);
      expect(sb.namespaces.network).toBe(netns);
      const id = await container(sb);
      expect(await sh(id, 'cat /proc/sys/kernel/shmmni /proc/sys/net/ipv4/ip_unprivileged_port_start')).toBe('2048\n80\n');
      expect((await readFile('/proc/sys/kernel/shmmni', 'utf8')).trim()).toBe(hostShmmni);
    } finally {
      for (const id of made.containers.splice(0)) await backend.removeContainer(id);
      execFileSync('umount', [netns]);
    }
  });

  it('refuses what it cannot do, leaving nothing: PID namespace POD, host sysctls, net sysctls without a netns', async () => {
    const refuse = async (config: Partial<PodSandboxConfig>, code: 'Unimplemented' | 'InvalidArgument', pattern: RegExp): Promise<void> => {
      const id = bed.id('sb');
      const e = await backend.runSandbox({ id, config: bed.podConfig(id, config), runtimeHandler: '' }).catch((x: unknown) => x);
      expect(isShimError(e, code)).toBe(true);
      expect((e as Error).message).toMatch(pattern);
      await expect(stat(backend.layout.sandbox(id))).rejects.toMatchObject({ code: 'ENOENT' });
    };
    await refuse({ linux: linux({ pid: NamespaceMode.POD }) }, 'Unimplemented', /PID namespace.*pause image/);
    await refuse({ linux: linux({}, { 'kernel.panic': '1' }) }, 'InvalidArgument', /kernel\.panic.*not a namespaced/);
    await refuse({ linux: linux({}, { 'net.ipv4.ip_forward': '1' }) }, 'InvalidArgument', /network namespace/);
    await refuse({ linux: linux({ network: NamespaceMode.NODE }, { 'net.ipv4.ip_forward': '1' }) }, 'InvalidArgument', /host network/);
    await refuse({ linux: linux({ ipc: NamespaceMode.NODE }, { 'kernel.shmmni': '1' }) }, 'InvalidArgument', /host IPC/);
    await refuse({ linux: linux({}, { 'bad name': '1' }) }, 'InvalidArgument', /not a valid sysctl/);
    const e = await backend.runSandbox({ id: bed.id('sb'), config: bed.podConfig('x'), runtimeHandler: 'kata' }).catch((x: unknown) => x);
    expect(isShimError(e, 'InvalidArgument')).toBe(true);
  });

  it('a host-network, host-IPC pod pins nothing and uses the node hostname and /dev/shm', async () => {
    const sb = await pod({ hostname: 'ignored', linux: linux({ network: NamespaceMode.NODE, ipc: NamespaceMode.NODE }) });
    expect(sb.namespaces).toEqual({});
    expect(sb.mounts.find((m) => m.destination === '/dev/shm')?.source).toBe('/dev/shm');
    expect(await readFile(sb.mounts.find((m) => m.destination === '/etc/hostname')?.source ?? '', 'utf8')).toBe(`${hostname()}\n`);
    expect(await backend.sandboxState(sb.id)).toBe('ready');
    await backend.stopSandbox(sb.id);
    expect(await backend.sandboxState(sb.id)).toBe('notready');
  });

  it('stop and remove are idempotent; state follows the pins; AlreadyExists for a used id', async () => {
    const sb = await pod();
    const dir = backend.layout.sandbox(sb.id);
    await expect(backend.runSandbox({ id: sb.id, config: bed.podConfig('again'), runtimeHandler: '' })).rejects.toSatisfy((e: unknown) => isShimError(e, 'AlreadyExists'));
    expect(await backend.sandboxState(sb.id)).toBe('ready');
    expect((await mountsUnder(dir)).length).toBe(3); // ipc, uts, shm
    await backend.stopSandbox(sb.id);
    await backend.stopSandbox(sb.id);
    expect(await backend.sandboxState(sb.id)).toBe('notready');
    expect(await mountsUnder(dir)).toEqual([]);
    await backend.removeSandbox(sb.id);
    await backend.removeSandbox(sb.id);
    await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(backend.sandboxState(sb.id)).rejects.toSatisfy((e: unknown) => isShimError(e, 'NotFound'));
  });

  it('a new instance on the same state dir finds the sandbox; a lost pin makes it not ready', async () => {
    const sb = await pod();
    const other = bed.backend();
    try {
      expect(await other.sandboxState(sb.id)).toBe('ready');
      execFileSync('umount', [sb.namespaces.ipc ?? '']);
      expect(await other.sandboxState(sb.id)).toBe('notready');
    } finally {
      await other.close();
    }
  });

  it('a pod sharing one PID namespace gets an infra container from the pause image; its containers see each other', async () => {
    const images = new BusyboxImages(bed.rootfs);
    addBusyboxImage(images, 'pause', ['sleep', '3600']);
    const withInfra = bed.backend({ infra: { image: 'pause', images } });
    const previous = backend;
    backend = withInfra;
    try {
      const sb = await pod({ hostname: 'shared', linux: linux({ pid: NamespaceMode.POD }) });
      expect(sb.pid).toBeGreaterThan(0);
      expect(sb.namespaces.pid).toBe(`/proc/${String(sb.pid)}/ns/pid`);
      expect(images.callsTo('prepareRootfs')).toHaveLength(1);
      const id = bed.id('ctr');
      const spec = bed.spec(id, sb, ['sleep', '3601']);
      spec.linux?.namespaces?.splice(0, spec.linux.namespaces.length, ...(spec.linux.namespaces.filter((n) => n.type !== 'pid')), { type: 'pid', path: sb.namespaces.pid ?? '' });
      await backend.createContainer({ id, sandboxId: sb.id, spec, rootfs: bed.rootfs, logPath: '' });
      made.containers.push(id);
      await backend.startContainer(id);
      expect(await readlink(`/proc/${String((await backend.containerState(id)).pid)}/ns/pid`)).toBe(await readlink(`/proc/${String(sb.pid)}/ns/pid`));
      expect(await sh(id, 'ps -o args | grep -c "^sleep 360[01]$"')).toBe('2\n');
      expect(await backend.sandboxState(sb.id)).toBe('ready');
      for (const c of made.containers.splice(0)) await backend.removeContainer(c);
      await backend.stopSandbox(sb.id);
      expect(await backend.sandboxState(sb.id)).toBe('notready');
      await backend.stopSandbox(sb.id);
      await backend.removeSandbox(sb.id);
      made.sandboxes.splice(0);
      expect(images.callsTo('releaseRootfs')).toHaveLength(1);
      expect(await bed.leftovers()).toEqual({ containers: [], conmons: [], mounts: [] });
    } finally {
      backend = previous;
      for (const c of made.containers.splice(0)) await withInfra.removeContainer(c);
      for (const s of made.sandboxes.splice(0)) await withInfra.removeSandbox(s);
      await withInfra.close();
    }
  });
});

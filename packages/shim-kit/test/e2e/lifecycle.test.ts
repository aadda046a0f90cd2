import { readFile, rename, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ContainerEventType, ContainerState, NamespaceMode, PodSandboxState, type ContainerEventResponse, type CriClient } from '@shimkit/cri-types';
import { describe, expect, it, vi } from 'vitest';
import type { Shim } from '../../src/shim/create-shim.js';
import { EMPTY_LEFTOVERS, logLines, useE2eShim, type E2eBed } from './e2e-bed.js';
import { codeOf } from '../cri-fixtures.js';

let bed: E2eBed;
let shim: Shim;
let cri: CriClient;
useE2eShim((world) => ({ bed, shim, cri } = world));

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const exec = async (containerId: string, cmd: string[]): Promise<string> => {
  const r = await cri.runtime.execSync({ containerId, cmd, timeout: 10n });
  expect(r.exitCode, `${cmd.join(' ')}: ${text(r.stderr)}`).toBe(0);
  return text(r.stdout);
};
const status = async (containerId: string) => (await cri.runtime.containerStatus({ containerId })).status;
const iptablesFor = async (port: number): Promise<string[]> => {
  const { execFileSync } = await import('node:child_process');
  return execFileSync('iptables-save', { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(`--dport ${port}`) && l.includes(bed.prefix));
};

/** Runs a pod, returns its id; the caller stops and removes it. */
async function runPod(name: string, extra: Parameters<E2eBed['pod']>[1] = {}) {
  const config = bed.pod(name, extra);
  const { podSandboxId } = await cri.runtime.runPodSandbox({ config });
  return { podSandboxId, config };
}
async function removePod(podSandboxId: string): Promise<void> {
  await cri.runtime.stopPodSandbox({ podSandboxId });
  await cri.runtime.removePodSandbox({ podSandboxId });
}
async function startContainer(podSandboxId: string, config: ReturnType<E2eBed['pod']>, container: ReturnType<E2eBed['container']>): Promise<string> {
  const { containerId } = await cri.runtime.createContainer({ podSandboxId, sandboxConfig: config, config: container });
  await cri.runtime.startContainer({ containerId });
  return containerId;
}

describe('a shim on the default modules (runc + conmon, image-store, CNI) over gRPC', () => {
  it('runs a pod with a pod IP, hostname, DNS config, env bytes, a hostPort and a CRI log, then tears it all down', async () => {
    const hostPort = 20_000 + Math.floor(Math.random() * 20_000);
    const { podSandboxId, config } = await runPod('web', {
      dnsConfig: { servers: ['10.96.0.10'], searches: ['e2e.svc.cluster.local', 'svc.cluster.local'], options: ['ndots:5'] },
      portMappings: [{ containerPort: 8080, hostPort, protocol: 0 }],
    });
    const pod = (await cri.runtime.podSandboxStatus({ podSandboxId })).status;
    expect(pod?.state).toBe(PodSandboxState.SANDBOX_READY);
    const ip = pod?.network?.ip ?? '';
    expect(ip.startsWith(bed.prefix)).toBe(true);
    expect(await iptablesFor(hostPort)).not.toEqual([]);

    const containerId = await startContainer(
      podSandboxId,
      config,
      bed.container('app', {
        command: ['sh', '-c', 'trap "echo bye; exit 0" TERM; echo start; echo "$GREETING"; sleep 3600 & wait'],
        envs: [{ key: 'GREETING', value: Buffer.from('grüß dich', 'utf8') }],
      }),
    );
    expect((await status(containerId))?.state).toBe(ContainerState.CONTAINER_RUNNING);
    expect(await exec(containerId, ['cat', '/etc/hostname'])).toBe('web\n');
    // `crictl inspect` reads the pid from the verbose info: it is the container's init process
    const info = JSON.parse((await cri.runtime.containerStatus({ containerId, verbose: true })).info.info ?? '{}') as { sandboxID: string; pid: number; config: { metadata: { name: string } } };
    expect(info).toMatchObject({ sandboxID: podSandboxId, config: { metadata: { name: 'app' } } });
    expect(await readFile(`/proc/${info.pid}/cmdline`, 'utf8')).toMatch(/^sh\0-c\0/);
    const resolv = (await exec(containerId, ['cat', '/etc/resolv.conf'])).split('\n');
    expect(resolv).toEqual(expect.arrayContaining(['nameserver 10.96.0.10', 'search e2e.svc.cluster.local svc.cluster.local', 'options ndots:5']));
    expect(await exec(containerId, ['ip', '-4', 'addr', 'show', 'eth0'])).toContain(`inet ${ip}/24`);
    expect(await exec(containerId, ['sh', '-c', 'echo "$GREETING"'])).toBe('grüß dich\n');
    const logPath = join(config.logDirectory as string, 'app.log');
    await vi.waitFor(async () => expect(await logLines(logPath)).toEqual(['stdout F start', 'stdout F grüß dich']));
    expect((await status(containerId))?.logPath).toBe(logPath);

    await cri.runtime.stopContainer({ containerId, timeout: 10n });
    const stopped = await status(containerId);
    expect(stopped).toMatchObject({ state: ContainerState.CONTAINER_EXITED, exitCode: 0, reason: 'Completed' });
    expect((await logLines(logPath)).at(-1)).toBe('stdout F bye');
    await cri.runtime.removeContainer({ containerId });
    await removePod(podSandboxId);
    expect(await iptablesFor(hostPort)).toEqual([]);
    expect(await bed.leftovers()).toEqual(EMPTY_LEFTOVERS);
  });

  it('connects two pods over the pod network: one serves on its pod IP, the other fetches from it', async () => {
    const server = await runPod('server');
    const client = await runPod('client');
    const serverIp = (await cri.runtime.podSandboxStatus({ podSandboxId: server.podSandboxId })).status?.network?.ip ?? '';
    const clientIp = (await cri.runtime.podSandboxStatus({ podSandboxId: client.podSandboxId })).status?.network?.ip ?? '';
    expect(serverIp.startsWith(bed.prefix) && clientIp.startsWith(bed.prefix) && serverIp !== clientIp).toBe(true);
    const serve = 'mkdir -p /www && echo "served by $(hostname)" > /www/index.html && exec httpd -f -p 8080 -h /www';
    await startContainer(server.podSandboxId, server.config, bed.container('httpd', { command: ['sh', '-c', serve] }));
    const fetcher = await startContainer(client.podSandboxId, client.config, bed.container('fetch', { command: ['sleep', '3600'] }));
    // busybox's wget segfaults in this static build, so the request goes through nc; httpd may still be starting
    const get = (ip: string) => cri.runtime.execSync({ containerId: fetcher, cmd: ['sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${ip} 8080`], timeout: 10n });
    let answer = '';
    for (let i = 0; i < 20 && !answer.includes('200 OK'); i++) {
      answer = text((await get(serverIp)).stdout);
      if (!answer.includes('200 OK')) await new Promise((res) => setTimeout(res, 100));
    }
    expect(answer).toMatch(/^HTTP\/1\.[01] 200 OK/);
    expect(answer.endsWith('\r\n\r\nserved by server\n')).toBe(true);
    // nothing listens on the client's own IP
    expect(text((await get(clientIp)).stdout)).toBe('');
    await removePod(client.podSandboxId);
    await removePod(server.podSandboxId);
    expect(await bed.leftovers()).toEqual(EMPTY_LEFTOVERS);
  });

  it('runs a host-network pod; exit codes and reasons: Completed, Error, and 137 when a container ignores SIGTERM', async () => {
    const { podSandboxId, config } = await runPod('hostnet', { linux: { securityContext: { namespaceOptions: { network: NamespaceMode.NODE, pid: NamespaceMode.CONTAINER, ipc: NamespaceMode.POD } } } });
    expect((await cri.runtime.podSandboxStatus({ podSandboxId })).status?.network?.ip ?? '').toBe('');
    const ok = await startContainer(podSandboxId, config, bed.container('ok', { command: ['true'] }));
    const bad = await startContainer(podSandboxId, config, bed.container('bad', { command: ['sh', '-c', 'echo oops >&2; exit 3'] }));
    const stubborn = await startContainer(podSandboxId, config, bed.container('stubborn', { command: ['sh', '-c', 'trap "" TERM; while :; do sleep 1; done'] }));
    expect(await exec(stubborn, ['cat', '/etc/hostname'])).toBe(`${hostname()}\n`);
    await vi.waitFor(async () => expect((await status(ok))?.state).toBe(ContainerState.CONTAINER_EXITED), { timeout: 10_000 });
    await vi.waitFor(async () => expect((await status(bad))?.state).toBe(ContainerState.CONTAINER_EXITED), { timeout: 10_000 });
    expect(await status(ok)).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(await status(bad)).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(await logLines(join(config.logDirectory as string, 'bad.log'))).toEqual(['stderr F oops']);
    const t0 = Date.now();
    await cri.runtime.stopContainer({ containerId: stubborn, timeout: 1n });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(await status(stubborn)).toMatchObject({ state: ContainerState.CONTAINER_EXITED, exitCode: 137, reason: 'Error' });
    for (const id of [ok, bad, stubborn]) await cri.runtime.removeContainer({ containerId: id });
    await removePod(podSandboxId);
  });

  it('shares one PID namespace in a pod through the pause image from the defaults', async () => {
    const { podSandboxId, config } = await runPod('shared', { linux: { securityContext: { namespaceOptions: { pid: NamespaceMode.POD } } } });
    const containerId = await startContainer(podSandboxId, config, bed.container('app'));
    expect(await exec(containerId, ['cat', '/proc/1/cmdline'])).toContain('trap');
    expect((await exec(containerId, ['ps'])).split('\n').some((l) => l.includes('sleep 3600'))).toBe(true);
    await cri.runtime.stopContainer({ containerId, timeout: 0n });
    await cri.runtime.removeContainer({ containerId });
    await removePod(podSandboxId);
  });

  it('reopens a container log, times out an ExecSync, reports stats and applies resource updates to the cgroup', async () => {
    const { podSandboxId, config } = await runPod('ops');
    const containerId = await startContainer(podSandboxId, config, bed.container('ticker', { command: ['sh', '-c', 'i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 0.1; done'] }));
    const logPath = join(config.logDirectory as string, 'ticker.log');
    await vi.waitFor(async () => expect((await logLines(logPath)).length).toBeGreaterThan(2));
    await rename(logPath, `${logPath}.1`);
    await cri.runtime.reopenContainerLog({ containerId });
    await vi.waitFor(async () => expect((await logLines(logPath)).length).toBeGreaterThan(1));
    const oldSize = (await stat(`${logPath}.1`)).size;
    await new Promise((r) => setTimeout(r, 400));
    expect((await stat(`${logPath}.1`)).size).toBe(oldSize);
    expect((await logLines(logPath))[0]).toMatch(/^stdout F tick \d+$/);

    const t0 = Date.now();
    const timedOut = await cri.runtime.execSync({ containerId, cmd: ['sleep', '30'], timeout: 1n }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(timedOut).toMatchObject({ code: 'DeadlineExceeded' });
    expect(Date.now() - t0).toBeLessThan(10_000);

    const before = (await cri.runtime.containerStats({ containerId })).stats?.writableLayer;
    await exec(containerId, ['dd', 'if=/dev/zero', 'of=/written', 'bs=1024', 'count=2048']);
    const stats = (await cri.runtime.containerStats({ containerId })).stats;
    expect(stats?.attributes?.id).toBe(containerId);
    // the writable layer counts what the container wrote (2 MiB, one more inode), not the image
    const grew = (stats?.writableLayer?.usedBytes?.value ?? 0n) - (before?.usedBytes?.value ?? 0n);
    expect(grew).toBeGreaterThanOrEqual(2n * 1024n * 1024n);
    expect(stats?.writableLayer?.usedBytes?.value).toBeLessThan(4n * 1024n * 1024n);
    expect((stats?.writableLayer?.inodesUsed?.value ?? 0n) - (before?.inodesUsed?.value ?? 0n)).toBe(1n);
    expect(stats?.memory?.workingSetBytes?.value ?? 0n).toBeGreaterThan(0n);
    expect(stats?.cpu?.usageCoreNanoSeconds?.value ?? 0n).toBeGreaterThan(0n);
    const listed = (await cri.runtime.listContainerStats({ filter: { podSandboxId } })).stats;
    expect(listed.map((s) => s.attributes?.id)).toEqual([containerId]);
    // the pod's traffic: eth0 in its network namespace, counters as the container sees them
    const network = (await cri.runtime.podSandboxStats({ podSandboxId })).stats?.linux?.network;
    expect(network?.defaultInterface?.name).toBe('eth0');
    expect(network?.interfaces.map((i) => i.name)).toEqual(['eth0']);
    const seen = (await exec(containerId, ['cat', '/proc/net/dev'])).split('\n').find((l) => l.trim().startsWith('eth0:'))?.split(':')[1]?.trim().split(/\s+/) ?? [];
    expect(BigInt(seen[0] ?? -1)).toBeGreaterThanOrEqual(network?.defaultInterface?.rxBytes?.value ?? 0n);
    expect(BigInt(seen[8] ?? -1)).toBeGreaterThanOrEqual(network?.defaultInterface?.txBytes?.value ?? 0n);

    await cri.runtime.updateContainerResources({ containerId, linux: { memoryLimitInBytes: 96n << 20n, cpuShares: 256n } });
    const cgroup = (controller: string, file: string): Promise<string> =>
      readFile(join('/sys/fs/cgroup', controller, bed.cgroupParent, containerId, file), 'utf8').then((s) => s.trim());
    expect(await cgroup('memory', 'memory.limit_in_bytes')).toBe(String(96 << 20));
    expect(await cgroup('cpu', 'cpu.shares')).toBe('256');

    await cri.runtime.stopContainer({ containerId, timeout: 0n });
    await cri.runtime.removeContainer({ containerId });
    await removePod(podSandboxId);
  });

  it('filters lists and streams container events', async () => {
    const events: ContainerEventResponse[] = [];
    const controller = new AbortController();
    const reading = (async () => {
      try {
        for await (const e of cri.runtime.getContainerEvents({}, { signal: controller.signal })) events.push(e);
      } catch (e) {
        if (!controller.signal.aborted) throw e;
      }
    })();
    await vi.waitFor(() => expect(shim.services.events).toHaveProperty('subscriberCount', 1));
    const a = await runPod('list-a', { labels: { tier: 'front' } });
    const b = await runPod('list-b', { labels: { tier: 'back' } });
    const inA = await startContainer(a.podSandboxId, a.config, bed.container('one', { labels: { role: 'x' } }));
    const { containerId: created } = await cri.runtime.createContainer({ podSandboxId: b.podSandboxId, sandboxConfig: b.config, config: bed.container('two', { labels: { role: 'y' } }) });

    const pods = (filter: object) => cri.runtime.listPodSandbox({ filter }).then((r) => r.items.map((p) => p.id).sort());
    const containers = (filter: object) => cri.runtime.listContainers({ filter }).then((r) => r.containers.map((c) => c.id).sort());
    expect(await pods({ labelSelector: { tier: 'front' } })).toEqual([a.podSandboxId]);
    expect(await pods({ id: b.podSandboxId })).toEqual([b.podSandboxId]);
    expect(await pods({ state: { state: PodSandboxState.SANDBOX_READY }, labelSelector: { app: 'list-b' } })).toEqual([b.podSandboxId]);
    expect(await containers({ podSandboxId: a.podSandboxId })).toEqual([inA]);
    expect(await containers({ state: { state: ContainerState.CONTAINER_CREATED } })).toEqual([created]);
    expect(await containers({ labelSelector: { role: 'x' } })).toEqual([inA]);
    expect(await containers({ id: created })).toEqual([created]);

    await cri.runtime.stopContainer({ containerId: inA, timeout: 0n });
    for (const id of [inA, created]) await cri.runtime.removeContainer({ containerId: id });
    for (const p of [a, b]) await removePod(p.podSandboxId);
    await vi.waitFor(() => expect(events.filter((e) => e.containerId === inA)).toHaveLength(4));
    controller.abort();
    await reading;
    expect(events.filter((e) => e.containerId === inA).map((e) => e.containerEventType)).toEqual([
      ContainerEventType.CONTAINER_CREATED_EVENT,
      ContainerEventType.CONTAINER_STARTED_EVENT,
      ContainerEventType.CONTAINER_STOPPED_EVENT,
      ContainerEventType.CONTAINER_DELETED_EVENT,
    ]);
    const neverStarted = events.filter((e) => e.containerId === created).map((e) => e.containerEventType);
    expect([neverStarted[0], neverStarted.at(-1)]).toEqual([ContainerEventType.CONTAINER_CREATED_EVENT, ContainerEventType.CONTAINER_DELETED_EVENT]);
  });

  it('answers bad requests with NotFound, AlreadyExists and InvalidArgument', async () => {
    expect(await codeOf(cri.runtime.containerStatus({ containerId: 'nope' }))).toBe('NotFound');
    expect(await codeOf(cri.runtime.podSandboxStatus({ podSandboxId: 'nope' }))).toBe('NotFound');
    expect(await codeOf(cri.runtime.startContainer({ containerId: 'nope' }))).toBe('NotFound');
    expect(await codeOf(cri.runtime.execSync({ containerId: 'nope', cmd: ['true'], timeout: 1n }))).toBe('NotFound');
    expect(await codeOf(cri.runtime.runPodSandbox({ config: { hostname: 'x' } }))).toBe('InvalidArgument');
    expect(await codeOf(cri.image.pullImage({ image: { image: `${bed.registry.host}/no-such-image:1` } }))).toBe('NotFound');
    expect(await codeOf(cri.image.pullImage({ image: { image: 'Bad Name!' } }))).toBe('InvalidArgument');

    const { podSandboxId, config } = await runPod('dup');
    try {
      expect(await codeOf(cri.runtime.runPodSandbox({ config }))).toBe('AlreadyExists');
      const { containerId } = await cri.runtime.createContainer({ podSandboxId, sandboxConfig: config, config: bed.container('c') });
      expect(await codeOf(cri.runtime.createContainer({ podSandboxId, sandboxConfig: config, config: bed.container('c') }))).toBe('AlreadyExists');
      expect(await codeOf(cri.runtime.createContainer({ podSandboxId, sandboxConfig: config, config: { image: { image: bed.images.busybox.reference } } }))).toBe('InvalidArgument');
      expect(await codeOf(cri.runtime.createContainer({ podSandboxId, sandboxConfig: config, config: bed.container('d', { image: { image: `${bed.registry.host}/not-pulled:1` } }) }))).toBe('NotFound');
      expect(await codeOf(cri.runtime.createContainer({ podSandboxId: 'nope', sandboxConfig: config, config: bed.container('e') }))).toBe('NotFound');
      await cri.runtime.removeContainer({ containerId });
    } finally {
      await removePod(podSandboxId);
    }
    await cri.runtime.removePodSandbox({ podSandboxId }); // already gone: still OK
  });
});

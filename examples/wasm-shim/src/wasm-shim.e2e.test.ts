// Starts wasm-shim as its own process and drives it through the CRI socket: WASI pods and a runc
// pod side by side, with real runc, conmon, CNI (a bridge of the test's own), cgroups and a local
// registry. The shim is SIGKILLed and started again half way.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, ContainerConfig, ContainerEventType, ContainerState, PodSandboxConfig, type ContainerEventResponse, type CriClient, type DeepPartial } from '@shimkit/cri-types';
import { criLogMessages, parseCriLog } from '@shimkit/runc-driver';
import { startRegistry, type Registry } from '@shimkit/test-bed';
import { pushTestImages, type TestImages } from '@shimkit/test-images';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { shimLeftovers, sweepShimHost, type ShimLeftovers } from './wasm-shim-host.test-helper.js';
import { pushWasmTestImages, type WasmTestImages } from './wasm-workloads.test-helper.js';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const tag = `${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;
const dir = `/tmp/wasm-shim-${tag}`;
const bridge = `wasm${tag}`.slice(0, 15);
const prefix = `10.${randomInt(200, 250)}.${randomInt(0, 256)}.`;
const cgroupParent = `/wasm-shim-${tag}`;
const socket = join(dir, 'cri.sock');
const logDir = join(dir, 'logs');

let registry: Registry;
let images: TestImages;
let wasm: WasmTestImages;
let shim: ChildProcess | undefined;
let stderr = '';
let cri: CriClient;

async function startShim(): Promise<void> {
  stderr = '';
  // tsx runs the TypeScript source as is; `npm run build` makes dist/main.js for `node`.
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, socket, join(dir, 'root'), join(dir, 'state')], {
    env: { ...process.env, CNI_CONF_DIR: join(dir, 'cni') },
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  shim = child;
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  await vi.waitFor(() => expect(stderr).toContain('shim listening'), { timeout: 30_000, interval: 50 });
  cri = await connect(`unix://${socket}`, { defaultTimeoutMs: 30_000 });
}

async function stopShim(signal: NodeJS.Signals): Promise<void> {
  await cri?.close();
  const child = shim;
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

beforeAll(async () => {
  registry = await startRegistry();
  images = await pushTestImages(registry);
  wasm = await pushWasmTestImages(registry.host);
  await mkdir(join(dir, 'cni'), { recursive: true });
  await mkdir(join(dir, 'volumes', 'ro'), { recursive: true });
  await mkdir(join(dir, 'volumes', 'rw'), { recursive: true });
  await writeFile(join(dir, 'volumes', 'ro', 'data.txt'), 'read-only volume\n');
  await writeFile(join(dir, 'volumes', 'rw', 'data.txt'), 'writable volume\n');
  const bridgePlugin = { type: 'bridge', bridge, isGateway: false, ipMasq: false, ipam: { type: 'host-local', ranges: [[{ subnet: `${prefix}0/24` }]], dataDir: join(dir, 'ipam') } };
  await writeFile(join(dir, 'cni', '10-pods.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: `wasm-${tag}`, plugins: [bridgePlugin] }));
  await startShim();
  // every test may run alone (-t): the images are there from the start; the first test checks the pulls
  for (const image of [wasm.modules, wasm.artifact, images.busybox.reference]) await cri.image.pullImage({ image: { image } });
});

afterAll(async () => {
  // what a failed test left running goes through the CRI first
  if (shim?.exitCode === null) {
    for (const pod of (await cri.runtime.listPodSandbox({})).items) {
      await cri.runtime.stopPodSandbox({ podSandboxId: pod.id }).catch(() => undefined);
      await cri.runtime.removePodSandbox({ podSandboxId: pod.id }).catch(() => undefined);
    }
  }
  await stopShim('SIGTERM');
  const leftovers = await sweepShimHost({ dir, bridge, cgroupParent, shimPid: shim?.pid });
  await registry?.close();
  expect({ ...leftovers, pids: [] }).toEqual({ containers: [], processes: [], mounts: [], cgroups: [], pids: [] });
});

function whatIsLeft(): Promise<ShimLeftovers> {
  return shimLeftovers({ dir, bridge, cgroupParent, shimPid: shim?.pid });
}

function podConfig(name: string): DeepPartial<PodSandboxConfig> {
  return { metadata: { name, namespace: 'default', uid: `uid-${name}-${tag}`, attempt: 0 }, hostname: name, logDirectory: join(logDir, name), linux: { cgroupParent } };
}

async function wasmPod(name: string): Promise<{ podSandboxId: string; config: DeepPartial<PodSandboxConfig> }> {
  const config = podConfig(name);
  const { podSandboxId } = await cri.runtime.runPodSandbox({ config, runtimeHandler: 'wasm' });
  return { podSandboxId, config };
}

async function container(pod: { podSandboxId: string; config: DeepPartial<PodSandboxConfig> }, name: string, extra: DeepPartial<ContainerConfig> = {}): Promise<string> {
  const { containerId } = await cri.runtime.createContainer({
    podSandboxId: pod.podSandboxId,
    sandboxConfig: pod.config,
    config: { metadata: { name }, image: { image: wasm.modules }, logPath: `${name}.log`, ...extra },
  });
  return containerId;
}

async function statusOf(containerId: string) {
  return (await cri.runtime.containerStatus({ containerId })).status!;
}

async function exited(containerId: string, timeout = 20_000) {
  await vi.waitFor(async () => expect((await statusOf(containerId)).state).toBe(ContainerState.CONTAINER_EXITED), { timeout, interval: 50 });
  return statusOf(containerId);
}

async function logOf(pod: string, name: string): Promise<{ stdout: string[]; stderr: string[] }> {
  const lines = parseCriLog(await readFile(join(logDir, pod, `${name}.log`), 'utf8'));
  return { stdout: criLogMessages(lines, 'stdout'), stderr: criLogMessages(lines, 'stderr') };
}

/** What a `v4.channel.k8s.io` WebSocket session at `url` sends on stdout (1) and stderr (2) until it closes. */
async function channelOutput(url: string): Promise<{ stdout: string; stderr: string }> {
  const socket = new WebSocket(url.replace(/^http/, 'ws'), ['v4.channel.k8s.io']);
  const out = { stdout: '', stderr: '' };
  socket.on('message', (data: Buffer) => {
    if (data[0] === 1) out.stdout += data.subarray(1).toString();
    if (data[0] === 2) out.stderr += data.subarray(1).toString();
  });
  await new Promise((resolve, reject) => {
    socket.once('close', resolve);
    socket.once('error', reject);
  });
  return out;
}

async function codeAndMessage(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
    return { code: 'OK', message: '' };
  } catch (e) {
    return { code: (e as { code: string }).code, message: (e as Error).message };
  }
}

describe('wasm-shim', () => {
  it('lists the runc and wasm handlers in Status, and pulls the OCI image and the Wasm artifact', async () => {
    const status = await cri.runtime.status({ verbose: false });
    expect(status.runtimeHandlers.map((h) => h.name)).toEqual(['', 'wasm']);
    expect(status.status?.conditions.find((c) => c.type === 'RuntimeReady')?.status).toBe(true);
    // pulled in beforeAll: pulled again from the registry after a removal
    await cri.image.removeImage({ image: { image: wasm.artifact } });
    expect((await cri.image.imageStatus({ image: { image: wasm.artifact }, verbose: false })).image).toBeUndefined();
    await cri.image.pullImage({ image: { image: wasm.modules } });
    await cri.image.pullImage({ image: { image: wasm.artifact } });
    await cri.image.pullImage({ image: { image: images.busybox.reference } });
    const artifact = (await cri.image.imageStatus({ image: { image: wasm.artifact }, verbose: false })).image;
    expect(artifact?.repoTags).toEqual([wasm.artifact]);
  });

  it('runs a WASI module and a runc container in pods side by side: args, env, log, exit code 0, pod IP', async () => {
    const linuxPod = podConfig('linux');
    const { podSandboxId: linuxId } = await cri.runtime.runPodSandbox({ config: linuxPod });
    const { containerId: sleeper } = await cri.runtime.createContainer({
      podSandboxId: linuxId, sandboxConfig: linuxPod,
      config: { metadata: { name: 'sleeper' }, image: { image: images.busybox.reference }, command: ['sh', '-c', 'echo from runc; sleep 3600'], logPath: 'sleeper.log' },
    });
    await cri.runtime.startContainer({ containerId: sleeper });

    const pod = await wasmPod('hello');
    expect((await cri.runtime.podSandboxStatus({ podSandboxId: pod.podSandboxId })).status).toMatchObject({ runtimeHandler: 'wasm', network: { ip: expect.stringMatching(new RegExp(`^${prefix.replace(/\./g, '\\.')}`)) } });
    const id = await container(pod, 'hello', { args: ['first', 'second'], envs: [{ key: 'GREETING', value: Buffer.from('hi') }] });
    await cri.runtime.startContainer({ containerId: id });
    const status = await exited(id);
    expect(status).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(status.startedAt).toBeGreaterThan(0n);
    const log = await logOf('hello', 'hello');
    expect(log.stdout.slice(0, 3)).toEqual(['hello from wasm', 'arg: first', 'arg: second']);
    expect(log.stdout).toContain('env: GREETING=hi');
    expect(log.stderr).toEqual(['to stderr']);

    expect((await statusOf(sleeper)).state).toBe(ContainerState.CONTAINER_RUNNING);
    expect((await cri.runtime.execSync({ containerId: sleeper, cmd: ['echo', 'still here'], timeout: 10n })).exitCode).toBe(0);
    await cri.runtime.stopPodSandbox({ podSandboxId: linuxId });
    await cri.runtime.removePodSandbox({ podSandboxId: linuxId });
    await cri.runtime.removeContainer({ containerId: id });
    await cri.runtime.stopPodSandbox({ podSandboxId: pod.podSandboxId });
    await cri.runtime.removePodSandbox({ podSandboxId: pod.podSandboxId });
  });

  it('reports a module\'s exit code (the Wasm artifact\'s entrypoint), a trap, and a module that cannot be instantiated', async () => {
    const pod = await wasmPod('exits');
    const { containerId: fromArtifact } = await cri.runtime.createContainer({
      podSandboxId: pod.podSandboxId, sandboxConfig: pod.config,
      config: { metadata: { name: 'artifact' }, image: { image: wasm.artifact }, logPath: 'artifact.log' },
    });
    await cri.runtime.startContainer({ containerId: fromArtifact });
    expect(await exited(fromArtifact)).toMatchObject({ exitCode: 42, reason: 'Error' });
    expect((await logOf('exits', 'artifact')).stderr).toEqual(['exiting with 42']);

    const trap = await container(pod, 'trap', { command: ['/trap.wasm'] });
    await cri.runtime.startContainer({ containerId: trap });
    expect(await exited(trap)).toMatchObject({ exitCode: 134, reason: 'Error' });
    expect((await logOf('exits', 'trap')).stderr).toEqual([expect.stringMatching(/^wasm-runner: the module trapped: unreachable/)]);

    const badImport = await container(pod, 'bad-import', { command: ['/bad-import.wasm'] });
    const failed = await codeAndMessage(cri.runtime.startContainer({ containerId: badImport }));
    expect(failed.code).not.toBe('OK');
    expect(failed.message).toMatch(/runtime handler "wasm": starting container .*cannot start .*bad-import\.wasm/);
    expect(await exited(badImport)).toMatchObject({ exitCode: 128, reason: 'StartError' });
    await cri.runtime.stopPodSandbox({ podSandboxId: pod.podSandboxId });
    await cri.runtime.removePodSandbox({ podSandboxId: pod.podSandboxId });
  });

  it('refuses a command that is not a module in the image, naming it, and leaves nothing behind', async () => {
    const pod = await wasmPod('refused');
    const missing = await codeAndMessage(container(pod, 'missing', { command: ['/nope.wasm'] }));
    expect(missing).toMatchObject({ code: 'InvalidArgument', message: expect.stringContaining('module "/nope.wasm" is not in the image') });
    const text = await codeAndMessage(container(pod, 'text', { command: ['/not-wasm.txt'] }));
    expect(text).toMatchObject({ code: 'InvalidArgument', message: expect.stringContaining('"/not-wasm.txt" is not a valid WebAssembly module') });
    const escape = await codeAndMessage(container(pod, 'escape', { command: ['/../../../../etc/hostname'] }));
    expect(escape.code).toBe('InvalidArgument');
    expect((await cri.runtime.listContainers({ filter: { podSandboxId: pod.podSandboxId } })).containers).toEqual([]);
    expect((await whatIsLeft()).cgroups).toEqual([]);
    expect(await readdir(join(dir, 'state', 'wasm', 'containers'))).toEqual([]);
    await cri.runtime.stopPodSandbox({ podSandboxId: pod.podSandboxId });
    await cri.runtime.removePodSandbox({ podSandboxId: pod.podSandboxId });
  });

  it('gives volumes as preopened directories, read-only ones without write rights', async () => {
    const pod = await wasmPod('volumes');
    const mounts = [
      { containerPath: '/ro', hostPath: join(dir, 'volumes', 'ro'), readonly: true },
      { containerPath: '/rw', hostPath: join(dir, 'volumes', 'rw'), readonly: false },
    ];
    const ro = await container(pod, 'ro', { command: ['/cat.wasm', '/ro', 'data.txt', 'created.txt'], mounts });
    const rw = await container(pod, 'rw', { command: ['/cat.wasm', '/rw', 'data.txt', 'created.txt'], mounts });
    await cri.runtime.startContainer({ containerId: ro });
    await cri.runtime.startContainer({ containerId: rw });
    expect(await exited(ro)).toMatchObject({ exitCode: 0 });
    expect(await exited(rw)).toMatchObject({ exitCode: 0 });
    // 76: ENOTCAPABLE
    expect((await logOf('volumes', 'ro')).stdout).toEqual(['read-only volume', 'create: 76']);
    expect((await logOf('volumes', 'rw')).stdout).toEqual(['writable volume', 'create: 00']);
    expect(existsSync(join(dir, 'volumes', 'ro', 'created.txt'))).toBe(false);
    expect(existsSync(join(dir, 'volumes', 'rw', 'created.txt'))).toBe(true);
    await cri.runtime.stopPodSandbox({ podSandboxId: pod.podSandboxId });
    await cri.runtime.removePodSandbox({ podSandboxId: pod.podSandboxId });
  });

  it('stops an endless loop (signal, then kill), with stats, list filters and events; OOMKilled past the memory limit', async () => {
    const events: ContainerEventResponse[] = [];
    const controller = new AbortController();
    const reading = (async () => {
      try {
        for await (const e of cri.runtime.getContainerEvents({}, { signal: controller.signal })) events.push(e);
      } catch (e) {
        if (!controller.signal.aborted) throw e;
      }
    })();
    const pod = await wasmPod('limits');
    const resources = { memoryLimitInBytes: 64n * 1024n * 1024n, cpuQuota: 50_000n, cpuPeriod: 100_000n, cpuShares: 512n };
    const looping = await container(pod, 'loop', { command: ['/loop.wasm'], labels: { kind: 'loop' }, linux: { resources } });
    const killed = await container(pod, 'loop-kill', { command: ['/loop.wasm'], linux: { resources } });
    const greedy = await container(pod, 'grow', { command: ['/grow.wasm'], linux: { resources } });
    for (const id of [looping, killed, greedy]) await cri.runtime.startContainer({ containerId: id });

    await vi.waitFor(async () => expect((await cri.runtime.containerStats({ containerId: looping })).stats?.cpu?.usageCoreNanoSeconds?.value).toBeGreaterThan(50_000_000n), { timeout: 10_000, interval: 100 });
    const stats = (await cri.runtime.containerStats({ containerId: looping })).stats;
    expect(stats?.memory?.workingSetBytes?.value).toBeGreaterThan(0n);
    const running = await cri.runtime.listContainers({ filter: { podSandboxId: pod.podSandboxId, state: { state: ContainerState.CONTAINER_RUNNING }, labelSelector: { kind: 'loop' } } });
    expect(running.containers.map((c) => c.id)).toEqual([looping]);
    const memoryLimit = await readFile(join('/sys/fs/cgroup/memory', cgroupParent, looping, 'memory.limit_in_bytes'), 'utf8');
    expect(memoryLimit.trim()).toBe(String(64 * 1024 * 1024));
    expect((await readFile(join('/sys/fs/cgroup/cpu', cgroupParent, looping, 'cpu.cfs_quota_us'), 'utf8')).trim()).toBe('50000');

    await cri.runtime.updateContainerResources({ containerId: looping, linux: { memoryLimitInBytes: 96n * 1024n * 1024n, cpuQuota: 20_000n, cpuPeriod: 100_000n } });
    expect((await readFile(join('/sys/fs/cgroup/memory', cgroupParent, looping, 'memory.limit_in_bytes'), 'utf8')).trim()).toBe(String(96 * 1024 * 1024));
    expect((await readFile(join('/sys/fs/cgroup/cpu', cgroupParent, looping, 'cpu.cfs_quota_us'), 'utf8')).trim()).toBe('20000');

    expect(await exited(greedy)).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    await cri.runtime.stopContainer({ containerId: looping, timeout: 5n });
    expect(await statusOf(looping)).toMatchObject({ exitCode: 143, reason: 'Error' });
    await cri.runtime.stopContainer({ containerId: killed, timeout: 0n });
    expect(await statusOf(killed)).toMatchObject({ exitCode: 137, reason: 'Error' });
    await cri.runtime.stopContainer({ containerId: killed, timeout: 0n }); // idempotent
    expect((await logOf('limits', 'loop')).stdout).toEqual(['looping']);
    const exitedOnes = await cri.runtime.listContainers({ filter: { podSandboxId: pod.podSandboxId, state: { state: ContainerState.CONTAINER_EXITED } } });
    expect(exitedOnes.containers.map((c) => c.id).sort()).toEqual([looping, killed, greedy].sort());

    await cri.runtime.removeContainer({ containerId: looping });
    await vi.waitFor(() => expect(events.filter((e) => e.containerId === looping).map((e) => e.containerEventType)).toEqual([
      ContainerEventType.CONTAINER_CREATED_EVENT,
      ContainerEventType.CONTAINER_STARTED_EVENT,
      ContainerEventType.CONTAINER_STOPPED_EVENT,
      ContainerEventType.CONTAINER_DELETED_EVENT,
    ]), { timeout: 5000, interval: 20 });
    controller.abort();
    await reading;
    await cri.runtime.stopPodSandbox({ podSandboxId: pod.podSandboxId });
    await cri.runtime.removePodSandbox({ podSandboxId: pod.podSandboxId });
    expect((await whatIsLeft()).cgroups).toEqual([]);
  });

  it('answers what WASI cannot do with Unimplemented naming the handler', async () => {
    const pod = await wasmPod('cannot');
    const id = await container(pod, 'loop', { command: ['/loop.wasm'] });
    await cri.runtime.startContainer({ containerId: id });
    const execSync = await codeAndMessage(cri.runtime.execSync({ containerId: id, cmd: ['sh'], timeout: 5n }));
    expect(execSync).toMatchObject({ code: 'Unimplemented', message: expect.stringContaining('runtime handler "wasm" cannot run a command') });
    const exec = await codeAndMessage(cri.runtime.exec({ containerId: id, cmd: ['sh'], stdout: true }));
    expect(exec).toMatchObject({ code: 'Unimplemented', message: expect.stringContaining('runtime handler "wasm" cannot exec') });
    // attach follows the output; a container with stdin is refused at its creation
    expect((await cri.runtime.attach({ containerId: id, stdout: true })).url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/attach\//);
    const withStdin = await codeAndMessage(container(pod, 'stdin', { command: ['/loop.wasm'], stdin: true }));
    expect(withStdin).toMatchObject({ code: 'InvalidArgument', message: expect.stringContaining('runtime handler "wasm": container') });
    const portForward = await codeAndMessage(cri.runtime.portForward({ podSandboxId: pod.podSandboxId, port: [80] }));
    expect(portForward).toMatchObject({ code: 'Unimplemented', message: expect.stringContaining('runtime handler "wasm" cannot port-forward') });
    await cri.runtime.stopPodSandbox({ podSandboxId: pod.podSandboxId });
    expect(await statusOf(id)).toMatchObject({ state: ContainerState.CONTAINER_EXITED });
    await cri.runtime.removePodSandbox({ podSandboxId: pod.podSandboxId });
  });

  it('attaches to a module\'s output over the streaming server (kubelet\'s WebSocket channel protocol)', async () => {
    const pod = await wasmPod('attach');
    const id = await container(pod, 'sleep', { command: ['/sleep-exit.wasm'] });
    await cri.runtime.startContainer({ containerId: id });
    const { url } = await cri.runtime.attach({ containerId: id, stdout: true, stderr: true });
    const output = await channelOutput(url);
    expect(output.stdout).toBe('slept, exiting with 7\n');
    expect(output.stderr).toBe('');
    expect(await exited(id)).toMatchObject({ exitCode: 7 });
    await cri.runtime.stopPodSandbox({ podSandboxId: pod.podSandboxId });
    await cri.runtime.removePodSandbox({ podSandboxId: pod.podSandboxId });
  });

  it('starts a new log file when kubelet rotates the old one (ReopenContainerLog)', async () => {
    const pod = await wasmPod('rotate');
    const id = await container(pod, 'sleep', { command: ['/sleep-exit.wasm'] });
    await cri.runtime.startContainer({ containerId: id });
    const path = join(logDir, 'rotate', 'sleep.log');
    await rename(path, `${path}.1`);
    await cri.runtime.reopenContainerLog({ containerId: id });
    expect(existsSync(path)).toBe(true);
    expect(await exited(id)).toMatchObject({ exitCode: 7 });
    expect((await logOf('rotate', 'sleep')).stdout).toEqual(['slept, exiting with 7']);
    expect(await readFile(`${path}.1`, 'utf8')).toBe('');
    expect((await codeAndMessage(cri.runtime.reopenContainerLog({ containerId: id }))).code).toBe('FailedPrecondition');
    await cri.runtime.stopPodSandbox({ podSandboxId: pod.podSandboxId });
    await cri.runtime.removePodSandbox({ podSandboxId: pod.podSandboxId });
  });

  it('runs the README\'s crictl pod and container files as they are (registry, log dir and cgroup parent aside)', async () => {
    const here = (f: string) => fileURLToPath(new URL(`../crictl/${f}`, import.meta.url));
    const podJson = JSON.parse(await readFile(here('pod.json'), 'utf8')) as Record<string, unknown>;
    const containerJson = JSON.parse((await readFile(here('container.json'), 'utf8')).replace('127.0.0.1:5000', registry.host)) as Record<string, unknown>;
    const config = PodSandboxConfig.fromJSON({ ...podJson, log_directory: join(logDir, 'crictl'), linux: { cgroup_parent: cgroupParent } });
    const { podSandboxId } = await cri.runtime.runPodSandbox({ config, runtimeHandler: 'wasm' });
    const { containerId } = await cri.runtime.createContainer({ podSandboxId, sandboxConfig: config, config: ContainerConfig.fromJSON(containerJson) });
    await cri.runtime.startContainer({ containerId });
    expect(await exited(containerId)).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect((await logOf('crictl', 'hello')).stdout.slice(0, 3)).toEqual(['hello from wasm', 'arg: from', 'arg: crictl']);
    await cri.runtime.stopPodSandbox({ podSandboxId });
    await cri.runtime.removePodSandbox({ podSandboxId });
  });

  it('survives a SIGKILL of the shim: a running module keeps running, one that exited meanwhile reports its exit code and full log', async () => {
    const pod = await wasmPod('restart');
    const looping = await container(pod, 'loop', { command: ['/loop.wasm'] });
    const sleeper = await container(pod, 'sleep', { command: ['/sleep-exit.wasm'] });
    await cri.runtime.startContainer({ containerId: looping });
    await cri.runtime.startContainer({ containerId: sleeper });
    const runnerPid = (JSON.parse(await readFile(join(dir, 'state', 'wasm', 'containers', looping, 'meta.json'), 'utf8')) as { pid: number }).pid;
    expect(runnerPid).toBeGreaterThan(0);

    await stopShim('SIGKILL');
    // the sleeper ends (3 s after it started) while no shim watches it
    await new Promise((r) => setTimeout(r, 3500));
    await startShim();

    expect(await statusOf(looping)).toMatchObject({ state: ContainerState.CONTAINER_RUNNING });
    expect(existsSync(`/proc/${runnerPid}`)).toBe(true);
    expect(await exited(sleeper)).toMatchObject({ exitCode: 7, reason: 'Error' });
    expect((await logOf('restart', 'sleep')).stdout).toEqual(['slept, exiting with 7']);
    await cri.runtime.stopContainer({ containerId: looping, timeout: 0n });
    expect(await statusOf(looping)).toMatchObject({ exitCode: 137 });
    expect((await logOf('restart', 'loop')).stdout).toEqual(['looping']);
    await cri.runtime.stopPodSandbox({ podSandboxId: pod.podSandboxId });
    await cri.runtime.removePodSandbox({ podSandboxId: pod.podSandboxId });
  });
});

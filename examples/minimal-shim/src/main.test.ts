// Starts the minimal shim as its own process and runs a pod and a busybox container through
// it with the CRI client: real runc, conmon, CNI (a bridge of the test's own) and a local registry.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, readFile, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { connect, ContainerState, type CriClient } from '@shimkit/cri-types';
import { startRegistry, type Registry } from '@shimkit/test-bed';
import { pushTestImages, type TestImages } from '@shimkit/test-images';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const tag = `${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;
const dir = `/tmp/minimal-shim-${tag}`;
const bridge = `skm${tag}`.slice(0, 15);
const prefix = `10.${randomInt(150, 200)}.${randomInt(0, 256)}.`;
const cgroupParent = `/minimal-shim-${tag}`;
const socket = join(dir, 'cri.sock');

let registry: Registry;
let images: TestImages;
let shim: ChildProcess;
let stderr = '';

beforeAll(async () => {
  registry = await startRegistry();
  images = await pushTestImages(registry);
  await mkdir(join(dir, 'cni'), { recursive: true });
  const bridgePlugin = { type: 'bridge', bridge, isGateway: false, ipMasq: false, ipam: { type: 'host-local', ranges: [[{ subnet: `${prefix}0/24` }]], dataDir: join(dir, 'ipam') } };
  await writeFile(join(dir, 'cni', '10-pods.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: `minimal-${tag}`, plugins: [bridgePlugin] }));
  // tsx runs the TypeScript source as is; `npm run build` makes dist/main.js for `node`.
  shim = spawn(process.execPath, ['--import', 'tsx', MAIN, socket, join(dir, 'root'), join(dir, 'state')], {
    env: { ...process.env, CNI_CONF_DIR: join(dir, 'cni') },
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  shim.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  await vi.waitFor(() => expect(stderr).toContain('shim listening'), { timeout: 30_000, interval: 50 });
});

afterAll(async () => {
  if (shim?.exitCode === null) {
    const exited = new Promise((r) => shim.once('exit', r));
    shim.kill('SIGTERM');
    await exited;
  }
  const leftovers = await whatIsLeft();
  for (const m of leftovers.mounts.reverse()) await run('umount', ['-l', m]).catch(() => undefined);
  await run('ip', ['link', 'del', bridge]).catch(() => undefined);
  for (const controller of await readdir('/sys/fs/cgroup')) await rmdir(join('/sys/fs/cgroup', controller, cgroupParent)).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
  await registry?.close();
  expect(leftovers).toEqual({ containers: [], processes: [], mounts: [] });
});

async function whatIsLeft(): Promise<{ containers: string[]; processes: string[]; mounts: string[] }> {
  const list = await run('runc', ['--root', join(dir, 'state', 'runtime', 'runc'), 'list', '-q']).catch(() => ({ stdout: '' }));
  const processes: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(dir) && Number(pid) !== shim.pid) processes.push(cmdline.split('\0').join(' '));
  }
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8'))
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m.startsWith(`${dir}/`));
  return { containers: list.stdout.split('\n').filter(Boolean), processes, mounts };
}

it('runs a pod and a busybox container, execs in it, and cleans up', async () => {
  const cri: CriClient = await connect(`unix://${socket}`, { defaultTimeoutMs: 30_000 });
  try {
    expect((await cri.runtime.version({})).runtimeName).toBe('shimkit');
    await cri.image.pullImage({ image: { image: images.busybox.reference } });
    const pod = { metadata: { name: 'hello', namespace: 'default', uid: `uid-${tag}`, attempt: 0 }, hostname: 'hello', logDirectory: join(dir, 'logs'), linux: { cgroupParent } };
    const { podSandboxId } = await cri.runtime.runPodSandbox({ config: pod });
    expect((await cri.runtime.podSandboxStatus({ podSandboxId })).status?.network?.ip.startsWith(prefix)).toBe(true);
    const { containerId } = await cri.runtime.createContainer({
      podSandboxId,
      sandboxConfig: pod,
      config: { metadata: { name: 'busybox' }, image: { image: images.busybox.reference }, command: ['sleep', '3600'], logPath: 'busybox.log' },
    });
    await cri.runtime.startContainer({ containerId });
    const exec = await cri.runtime.execSync({ containerId, cmd: ['sh', '-c', 'echo hello from $(hostname)'], timeout: 10n });
    expect({ exitCode: exec.exitCode, stdout: Buffer.from(exec.stdout).toString() }).toEqual({ exitCode: 0, stdout: 'hello from hello\n' });

    await cri.runtime.stopContainer({ containerId, timeout: 0n });
    expect((await cri.runtime.containerStatus({ containerId })).status?.state).toBe(ContainerState.CONTAINER_EXITED);
    await cri.runtime.removeContainer({ containerId });
    await cri.runtime.stopPodSandbox({ podSandboxId });
    await cri.runtime.removePodSandbox({ podSandboxId });
    await cri.image.removeImage({ image: { image: images.busybox.reference } });
  } finally {
    await cri.close();
  }
  expect(await whatIsLeft()).toEqual({ containers: [], processes: [], mounts: [] });
});

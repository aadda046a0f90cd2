// `npm run demo`: a pod and a busybox container driven through @shimkit/cri-types
// against containerd 1.6, with a local registry and test images from the test bed.
// Prints each step with its time; cleans everything up, also on failure or Ctrl-C.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, ContainerState } from '@shimkit/cri-types';
import { isClean, leftovers, pushTestImages, startContainerd, startRegistry } from '@shimkit/test-bed';

const color = process.stdout.isTTY && !process.env.NO_COLOR;
const dim = (s) => (color ? `\x1b[2m${s}\x1b[0m` : s);
const green = (s) => (color ? `\x1b[32m${s}\x1b[0m` : s);
const red = (s) => (color ? `\x1b[31m${s}\x1b[0m` : s);

const controller = new AbortController();
const { signal } = controller;
let interrupted = false;
const onSignal = (name) => {
  if (interrupted) {
    console.error(red(`\n${name} again: exiting without cleanup`));
    process.exit(130);
  }
  interrupted = true;
  console.error(red(`\n${name}: stopping and cleaning up (press again to force)`));
  controller.abort(new Error(`interrupted by ${name}`));
};
process.on('SIGINT', () => onSignal('SIGINT'));
process.on('SIGTERM', () => onSignal('SIGTERM'));

const started = Date.now();
/** Runs one step, printing its name, time and a short detail. */
async function step(name, fn) {
  signal.throwIfAborted();
  const t0 = performance.now();
  try {
    const result = await fn();
    const ms = (performance.now() - t0).toFixed(0).padStart(5);
    const detail = typeof result === 'string' ? result : (result?.detail ?? '');
    console.log(`  ${green('ok')}  ${name.padEnd(28)} ${ms} ms  ${dim(detail)}`);
    return result?.value ?? result;
  } catch (err) {
    const ms = (performance.now() - t0).toFixed(0).padStart(5);
    console.log(`  ${red('!!')}  ${name.padEnd(28)} ${ms} ms  ${red(err?.message ?? String(err))}`);
    throw err;
  }
}

const short = (id) => id.slice(0, 12);
const cleanups = [];
const instanceIds = [];
let failed = false;

console.log('shimkit demo: our CRI client (@shimkit/cri-types) driving containerd 1.6\n');
try {
  const registry = await step('start registry', async () => {
    const r = await startRegistry({ signal });
    cleanups.push(['stop registry', () => r.close()]);
    instanceIds.push(r.id);
    return { value: r, detail: `docker-registry on ${r.url}` };
  });
  const images = await step('build + push test images', async () => {
    const i = await pushTestImages(registry, { signal });
    return { value: i, detail: `${i.busybox.reference}, ${i.pause.reference}` };
  });
  const containerd = await step('start containerd', async () => {
    const c = await startContainerd({ registry, pauseImage: images.pause.reference, signal });
    cleanups.unshift(['stop containerd + clean up', () => c.close()]);
    instanceIds.push(c.id);
    return { value: c, detail: `CRI on ${c.endpoint}, bridge ${c.bridge} ${c.subnet}` };
  });
  const cri = await step('connect', async () => {
    const client = await connect(containerd.endpoint, { signal, defaultTimeoutMs: 30_000 });
    cleanups.unshift(['close client', () => client.close()]);
    return { value: client, detail: containerd.endpoint };
  });
  const call = { signal };

  await step('Version', async () => {
    const v = await cri.runtime.version({ version: 'v1' }, call);
    return `${v.runtimeName} ${v.runtimeVersion}, CRI ${v.runtimeApiVersion}`;
  });
  await step('Status', async () => {
    const { status } = await cri.runtime.status({}, call);
    return (status?.conditions ?? []).map((c) => `${c.type}=${c.status}`).join(' ');
  });
  const imageRef = await step('PullImage busybox', async () => {
    const { imageRef: ref } = await cri.image.pullImage({ image: { image: images.busybox.reference } }, call);
    return { value: ref, detail: `image id ${short(ref.replace('sha256:', ''))}` };
  });

  const logDirectory = join(containerd.dir, 'pod-logs');
  const podConfig = {
    metadata: { name: 'demo', uid: `demo-${containerd.id}`, namespace: 'default', attempt: 0 },
    hostname: 'demo',
    logDirectory,
    linux: { cgroupParent: containerd.cgroupParent },
  };
  const podSandboxId = await step('RunPodSandbox', async () => {
    const { podSandboxId: id } = await cri.runtime.runPodSandbox({ config: podConfig }, call);
    const { status } = await cri.runtime.podSandboxStatus({ podSandboxId: id }, call);
    return { value: id, detail: `pod ${short(id)}, ip ${status?.network?.ip}` };
  });
  const containerId = await step('CreateContainer', async () => {
    const { containerId: id } = await cri.runtime.createContainer(
      {
        podSandboxId,
        config: {
          metadata: { name: 'busybox' },
          image: { image: images.busybox.reference },
          command: ['sh', '-c', 'echo "hello from $(hostname)"; i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 0.2; done'],
          logPath: 'busybox.log',
        },
        sandboxConfig: podConfig,
      },
      call,
    );
    return { value: id, detail: `container ${short(id)}` };
  });
  await step('StartContainer', async () => {
    await cri.runtime.startContainer({ containerId }, call);
    const { status } = await cri.runtime.containerStatus({ containerId }, call);
    return `state ${ContainerState[status?.state]}`;
  });
  await step('ExecSync echo hello', async () => {
    const r = await cri.runtime.execSync({ containerId, cmd: ['echo', 'hello'], timeout: 10n }, call);
    return `exit ${r.exitCode}, stdout ${JSON.stringify(r.stdout.toString())}`;
  });
  await sleep(500, undefined, { signal });
  const logLines = await step('read the CRI log file', async () => {
    const text = await readFile(join(logDirectory, 'busybox.log'), 'utf8');
    const lines = text.trimEnd().split('\n');
    return { value: lines, detail: `${join(logDirectory, 'busybox.log')}: ${lines.length} lines` };
  });
  for (const line of logLines.slice(0, 3)) console.log(dim(`        | ${line}`));
  await step('StopContainer', async () => {
    await cri.runtime.stopContainer({ containerId, timeout: 2n }, call);
    const { status } = await cri.runtime.containerStatus({ containerId }, call);
    return `state ${ContainerState[status?.state]}, exit code ${status?.exitCode}`;
  });
  await step('RemoveContainer', () => cri.runtime.removeContainer({ containerId }, call).then(() => ''));
  await step('StopPodSandbox', () => cri.runtime.stopPodSandbox({ podSandboxId }, call).then(() => ''));
  await step('RemovePodSandbox', () => cri.runtime.removePodSandbox({ podSandboxId }, call).then(() => ''));
  await step('RemoveImage', () => cri.image.removeImage({ image: { image: imageRef } }, call).then(() => images.busybox.reference));
  await step('ContainerStatus (removed)', async () => {
    const err = await cri.runtime.containerStatus({ containerId }, call).then(() => undefined, (e) => e);
    if (err?.code !== 'NotFound') throw new Error(`expected a NotFound CriError, got ${err?.message ?? 'a status'}`);
    return `CriError ${err.code}`;
  });
} catch (err) {
  failed = true;
  if (!interrupted) console.error(red(`\ndemo failed: ${err?.stack ?? err}`));
} finally {
  console.log('\ncleaning up');
  for (const [name, fn] of cleanups) {
    const t0 = performance.now();
    try {
      await fn();
      console.log(`  ${green('ok')}  ${name.padEnd(28)} ${(performance.now() - t0).toFixed(0).padStart(5)} ms`);
    } catch (err) {
      failed = true;
      console.log(`  ${red('!!')}  ${name.padEnd(28)} ${red(err?.message ?? String(err))}`);
    }
  }
}
for (const id of instanceIds) {
  const left = await leftovers(id);
  if (!isClean(left)) {
    failed = true;
    console.log(red(`left behind by ${id}: ${JSON.stringify(left)}`));
  }
}
if (instanceIds.length > 0 && !failed) console.log(dim('  nothing left behind (processes, mounts, netns, interfaces, iptables, files, cgroups)'));
console.log(`\n${failed ? red('demo failed') : green('demo done')} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(interrupted ? 130 : failed ? 1 : 0);

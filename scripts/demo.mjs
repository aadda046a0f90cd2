// `npm run demo`: the minimal shim (examples/minimal-shim: shimkit's createShim with its
// default modules: runc + conmon, image store, CNI) on a temp socket, driven through
// @shimkit/cri-types: a pod and a busybox container, pulled from a local registry with test
// images from the test bed. Prints each step with its time; cleans everything up, also on
// failure or Ctrl-C, and checks that nothing is left.
import { execFile, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { connect, ContainerState, PodSandboxState } from '@shimkit/cri-types';
import { removeIptablesRules, startRegistry } from '@shimkit/test-bed';
import { pushTestImages } from '@shimkit/test-images';

const run = promisify(execFile);
const SHIM_MAIN = fileURLToPath(new URL('../examples/minimal-shim/dist/main.js', import.meta.url));

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
const timings = new Map();
/** Runs one step, printing its name, time and a short detail. */
async function step(name, fn) {
  signal.throwIfAborted();
  const t0 = performance.now();
  try {
    const result = await fn();
    timings.set(name, performance.now() - t0);
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

/** A private /24 in 10.150.0.0 - 10.199.255.0 that no address or route on the host uses. */
async function pickSubnetPrefix() {
  const used = new Set();
  for (const args of [['-4', '-o', 'addr', 'show'], ['-4', 'route', 'show', 'table', 'all']]) {
    const { stdout } = await run('ip', args).catch(() => ({ stdout: '' }));
    for (const m of stdout.matchAll(/\b10\.(\d+)\.(\d+)\./g)) used.add(`${m[1]}.${m[2]}`);
  }
  for (let i = 0; i < 100; i++) {
    const key = `${randomInt(150, 200)}.${randomInt(0, 256)}`;
    if (!used.has(key)) return `10.${key}.`;
  }
  throw new Error('no free 10.x.y.0/24 found');
}

const tag = randomBytes(3).toString('hex');
const dir = `/tmp/shimkit-demo-${tag}`;
const socket = join(dir, 'cri.sock');
const runcRoot = join(dir, 'state', 'runtime', 'runc');
const bridge = `skd${tag}`;
const cgroupParent = `/shimkit-demo-${tag}`;
let prefix;

/** What the demo could have left on the host. */
async function leftovers() {
  // runc creates a missing --root: only list an existing one.
  const rootExists = await readdir(runcRoot).then(() => true, () => false);
  const { stdout } = rootExists ? await run('runc', ['--root', runcRoot, 'list', '-q']).catch(() => ({ stdout: '' })) : { stdout: '' };
  const containers = stdout.split('\n').filter(Boolean);
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8'))
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m.startsWith(`${dir}/`));
  const netns = await readdir(join(dir, 'state', 'netns')).catch(() => []);
  const processes = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(dir)) processes.push(Number(pid));
  }
  const inCgroup = await readFile(join('/sys/fs/cgroup/pids', cgroupParent, 'cgroup.procs'), 'utf8').catch(() => '');
  processes.push(...inCgroup.split('\n').filter(Boolean).map(Number));
  const { stdout: link } = await run('ip', ['-o', 'link', 'show', bridge]).catch(() => ({ stdout: '' }));
  const { stdout: rules } = await run('iptables-save').catch(() => ({ stdout: '' }));
  const iptables = prefix ? rules.split('\n').filter((l) => l.includes(prefix)) : [];
  const dirs = await readdir(dir).then(() => [dir], () => []);
  return { containers, mounts, netns, processes, bridge: link ? [bridge] : [], iptables, dirs };
}
const isClean = (l) => Object.values(l).every((v) => v.length === 0);

/** Removes by force whatever a failed run left (after the shim had its chance). */
async function sweep() {
  const left = await leftovers();
  for (const id of left.containers) await run('runc', ['--root', runcRoot, 'delete', '--force', id]).catch(() => undefined);
  for (const pid of left.processes) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  for (const m of left.mounts.reverse()) await run('umount', ['-l', m]).catch(() => undefined);
  if (prefix) await removeIptablesRules((r) => r.rule.includes(prefix));
  await run('ip', ['link', 'del', bridge]).catch(() => undefined);
  await sleep(100);
  for (const c of await readdir('/sys/fs/cgroup').catch(() => [])) {
    const base = join('/sys/fs/cgroup', c, cgroupParent);
    for (const sub of await readdir(base, { withFileTypes: true }).catch(() => [])) if (sub.isDirectory()) await rmdir(join(base, sub.name)).catch(() => undefined);
    await rmdir(base).catch(() => undefined);
  }
  await rm(dir, { recursive: true, force: true });
}

const short = (id) => id.slice(0, 12);
const cleanups = [];
let failed = false;
let shimLog = '';
let leftAfter;

console.log('shimkit demo: the minimal shim (runc + conmon, image store, CNI) driven through our CRI client\n');
try {
  const registry = await step('start registry', async () => {
    const r = await startRegistry({ signal });
    cleanups.push(['stop registry', () => r.close()]);
    return { value: r, detail: `docker-registry on ${r.url}` };
  });
  const images = await step('build + push test images', async () => {
    const i = await pushTestImages(registry, { signal });
    return { value: i, detail: `${i.busybox.reference}, ${i.pause.reference}` };
  });
  await step('write CNI config', async () => {
    prefix = await pickSubnetPrefix();
    await mkdir(join(dir, 'cni'), { recursive: true });
    cleanups.unshift(['delete bridge, sweep dirs', () => sweep()]);
    const bridgePlugin = {
      type: 'bridge',
      bridge,
      isGateway: false,
      isDefaultGateway: false,
      ipMasq: false,
      hairpinMode: false,
      ipam: { type: 'host-local', ranges: [[{ subnet: `${prefix}0/24` }]], routes: [], dataDir: join(dir, 'ipam') },
    };
    const list = { cniVersion: '1.0.0', name: `shimkit-demo-${tag}`, plugins: [bridgePlugin, { type: 'portmap', capabilities: { portMappings: true } }] };
    await writeFile(join(dir, 'cni', '10-demo.conflist'), JSON.stringify(list, null, 2));
    return `bridge ${bridge} ${prefix}0/24, no gateway, no masquerade`;
  });
  await step('start minimal shim', async () => {
    const child = spawn(process.execPath, [SHIM_MAIN, socket, join(dir, 'root'), join(dir, 'state')], {
      env: { ...process.env, CNI_CONF_DIR: join(dir, 'cni') },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true, // its own process group: a Ctrl-C reaches the demo, which then cleans up through the shim
    });
    child.stderr.on('data', (d) => (shimLog += d.toString()));
    const exited = new Promise((resolve) => child.once('exit', (code, sig) => resolve({ code, sig })));
    cleanups.unshift([
      'stop shim (SIGTERM)',
      async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        const result = await Promise.race([exited, sleep(10_000).then(() => 'timeout')]);
        if (result === 'timeout') {
          child.kill('SIGKILL');
          throw new Error('the shim did not stop within 10 s (killed)');
        }
      },
    ]);
    for (let i = 0; i < 300 && !shimLog.includes('shim listening'); i++) {
      if (child.exitCode !== null) throw new Error(`the shim exited with ${child.exitCode}: ${shimLog.trim()}`);
      await sleep(50, undefined, { signal });
    }
    if (!shimLog.includes('shim listening')) throw new Error('the shim did not listen within 15 s');
    return { value: child, detail: `pid ${child.pid}, ${socket}` };
  });
  const cri = await step('connect', async () => {
    const client = await connect(`unix://${socket}`, { signal, defaultTimeoutMs: 30_000 });
    // On failure, let the shim itself stop and remove what the demo started, before the sweep.
    cleanups.unshift([
      'remove pods left (CRI)',
      async () => {
        for (const pod of (await client.runtime.listPodSandbox({})).items) {
          await client.runtime.stopPodSandbox({ podSandboxId: pod.id });
          await client.runtime.removePodSandbox({ podSandboxId: pod.id });
        }
      },
    ]);
    cleanups.splice(1, 0, ['close client', () => client.close()]);
    return { value: client, detail: `unix://${socket}` };
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

  const logDirectory = join(dir, 'pod-logs');
  const podConfig = {
    metadata: { name: 'demo', uid: `demo-${tag}`, namespace: 'default', attempt: 0 },
    hostname: 'demo',
    logDirectory,
    linux: { cgroupParent },
  };
  const podSandboxId = await step('RunPodSandbox', async () => {
    const { podSandboxId: id } = await cri.runtime.runPodSandbox({ config: podConfig }, call);
    const { status } = await cri.runtime.podSandboxStatus({ podSandboxId: id }, call);
    return { value: id, detail: `pod ${short(id)}, ${PodSandboxState[status?.state]}, ip ${status?.network?.ip}` };
  });
  const containerId = await step('CreateContainer', async () => {
    const { containerId: id } = await cri.runtime.createContainer(
      {
        podSandboxId,
        config: {
          metadata: { name: 'busybox' },
          image: { image: images.busybox.reference },
          command: ['sh', '-c', 'trap "echo bye; exit 0" TERM; echo "hello from $(hostname)"; i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 0.2; done'],
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
    if (r.exitCode !== 0 || Buffer.from(r.stdout).toString() !== 'hello\n') throw new Error(`unexpected result: exit ${r.exitCode}, ${JSON.stringify(Buffer.from(r.stdout).toString())}`);
    return `exit ${r.exitCode}, stdout ${JSON.stringify(Buffer.from(r.stdout).toString())}`;
  });
  await sleep(500, undefined, { signal });
  const logLines = await step('read the CRI log file', async () => {
    const text = await readFile(join(logDirectory, 'busybox.log'), 'utf8');
    const lines = text.trimEnd().split('\n');
    return { value: lines, detail: `${join(logDirectory, 'busybox.log')}: ${lines.length} lines` };
  });
  for (const line of logLines.slice(0, 3)) console.log(dim(`        | ${line}`));
  await step('ContainerStatus', async () => {
    const { status } = await cri.runtime.containerStatus({ containerId }, call);
    return `${ContainerState[status?.state]}, image ${status?.image?.image}, log ${status?.logPath}`;
  });
  await step('StopContainer', async () => {
    await cri.runtime.stopContainer({ containerId, timeout: 5n }, call);
    const { status } = await cri.runtime.containerStatus({ containerId }, call);
    return `state ${ContainerState[status?.state]}, exit code ${status?.exitCode}, reason ${status?.reason}`;
  });
  await step('RemoveContainer', () => cri.runtime.removeContainer({ containerId }, call).then(() => ''));
  await step('StopPodSandbox', () => cri.runtime.stopPodSandbox({ podSandboxId }, call).then(() => 'network torn down'));
  await step('RemovePodSandbox', () => cri.runtime.removePodSandbox({ podSandboxId }, call).then(() => ''));
  await step('RemoveImage', () => cri.image.removeImage({ image: { image: imageRef } }, call).then(() => images.busybox.reference));
  await step('ContainerStatus (removed)', async () => {
    const err = await cri.runtime.containerStatus({ containerId }, call).then(() => undefined, (e) => e);
    if (err?.code !== 'NotFound') throw new Error(`expected a NotFound CriError, got ${err?.message ?? 'a status'}`);
    return `CriError ${err.code}`;
  });
  const sum = (...names) => names.reduce((t, n) => t + (timings.get(n) ?? 0), 0).toFixed(0);
  console.log(
    `\n  pod + container lifecycle over CRI: ${sum('RunPodSandbox', 'CreateContainer', 'StartContainer', 'StopContainer', 'RemoveContainer', 'StopPodSandbox', 'RemovePodSandbox')} ms` +
      dim(` (start ${sum('RunPodSandbox', 'CreateContainer', 'StartContainer')} ms, teardown ${sum('StopContainer', 'RemoveContainer', 'StopPodSandbox', 'RemovePodSandbox')} ms; pull ${sum('PullImage busybox')} ms)`),
  );
} catch (err) {
  failed = true;
  if (!interrupted) console.error(red(`\ndemo failed: ${err?.stack ?? err}`));
  if (shimLog) console.error(dim(`\nshim log (last lines):\n${shimLog.trim().split('\n').slice(-15).join('\n')}`));
} finally {
  console.log('\ncleaning up');
  for (const [name, fn] of cleanups) {
    const t0 = performance.now();
    try {
      if (name === 'delete bridge, sweep dirs') leftAfter = await leftovers();
      await fn();
      console.log(`  ${green('ok')}  ${name.padEnd(28)} ${(performance.now() - t0).toFixed(0).padStart(5)} ms`);
    } catch (err) {
      failed = true;
      console.log(`  ${red('!!')}  ${name.padEnd(28)} ${red(err?.message ?? String(err))}`);
    }
  }
}
// What the shim left once stopped (before the sweep), and what is left after the sweep.
if (leftAfter !== undefined) {
  const { bridge: _bridge, dirs: _dirs, ...byShim } = leftAfter;
  if (!isClean(byShim)) {
    failed = true;
    console.log(red(`left behind by the shim: ${JSON.stringify(byShim)}`));
  }
  const final = await leftovers();
  if (!isClean(final)) {
    failed = true;
    console.log(red(`still left after cleanup: ${JSON.stringify(final)}`));
  } else {
    console.log(dim('  nothing left behind (runc containers, conmon and container processes, mounts, netns, bridge, iptables, dirs)'));
  }
}
console.log(`\n${failed ? red('demo failed') : green('demo done')} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(interrupted ? 130 : failed ? 1 : 0);

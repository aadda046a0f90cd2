// Benchmark (not a test): shimkit with its real modules (runc + conmon, image-store, CNI) vs
// containerd 1.6's CRI, same machine, same run, same registry images, same CRI client.
// Per-RPC medians/p90 over N pod+container lifecycles (alternating runtimes), List* with 1
// and with 100 pods, RSS idle and with 100 pods, and bare runc for reference.
//   npm run bench            (needs a build; root `npm run bench` builds)
//   BENCH_N=30 BENCH_PODS=100 BENCH_BATCH=10 BENCH_PHASE_S=300 npm run bench
import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { NamespaceMode, SecurityProfile_ProfileType, connect } from '@shimkit/cri-types';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from '@shimkit/oci-spec';
import { isClean, leftovers, startContainerd, startRegistry } from '@shimkit/test-bed';
import { pushTestImages } from '@shimkit/test-images';
import { clean, daemonRss, forceCleanShim, idleRssLine, processesNaming, rssKiB, sh, shimLeftovers } from './host.mjs';
import { RuncReference } from './runc-reference.mjs';
import { settle, startShim, stopShim } from './shim-process.mjs';
import { profileRpcs } from './profile.mjs';
import { median, ms, p90, table } from './stats.mjs';

const DEFAULTS = { BENCH_N: 30, BENCH_PODS: 100, BENCH_BATCH: 10, BENCH_PHASE_S: 300 };
if (process.argv.slice(2).some((a) => a === '--help' || a === '-h')) {
  console.log('usage: node bench/cri-lifecycle.mjs   (settings in the environment)\n'
    + `  BENCH_N=${DEFAULTS.BENCH_N}        lifecycles per runtime\n`
    + `  BENCH_PODS=${DEFAULTS.BENCH_PODS}    pods for the List and RSS phase\n`
    + `  BENCH_BATCH=${DEFAULTS.BENCH_BATCH}    pods made at a time\n`
    + `  BENCH_PHASE_S=${DEFAULTS.BENCH_PHASE_S} time budget of each phase, seconds\n`
    + '  BENCH_PROFILE=1   split shimkit\'s RPCs by the child processes it runs');
  process.exit(0);
}
if (process.argv.length > 2) {
  console.error(`unknown arguments: ${process.argv.slice(2).join(' ')} (try --help; settings go in the environment)`);
  process.exit(2);
}

const setting = (name) => Number(process.env[name] ?? DEFAULTS[name]);
const N = setting('BENCH_N');
const PODS = setting('BENCH_PODS');
const BATCH = setting('BENCH_BATCH');
const PHASE_MS = setting('BENCH_PHASE_S') * 1000;
const LIST_CALLS = 20;
// Records the shim's child processes and splits its lifecycle RPCs by them (adds a little overhead).
const PROFILE = process.env.BENCH_PROFILE === '1';
const LIFECYCLE = ['RunPodSandbox', 'CreateContainer', 'StartContainer', 'ExecSync', 'StopContainer', 'RemoveContainer', 'StopPodSandbox', 'RemovePodSandbox'];
// Exits promptly on SIGTERM, so StopContainer measures a graceful stop, not a timeout.
const CONTAINER_SCRIPT = 'trap "exit 0" TERM; while :; do sleep 3600 & wait $!; done';

const controller = new AbortController();
const { signal } = controller;
let interrupted = false;
for (const name of ['SIGINT', 'SIGTERM']) {
  process.on(name, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    console.error(`\n${name}: stopping and cleaning up (again to force)`);
    controller.abort(new Error(`interrupted by ${name}`));
  });
}
const call = { signal, timeoutMs: 60_000 };
const log = (s) => console.log(`[${((performance.now() / 1000) | 0).toString().padStart(4)} s] ${s}`);

const pid = process.pid;
const dir = await mkdtemp(join(tmpdir(), `shimkit-bench-${pid}-`));
const shimHost = {
  dir,
  runcRoot: join(dir, 'state', 'runtime', 'runc'),
  bridge: `skb${randomBytes(4).toString('hex')}`,
  cgroup: `shimkit-bench-${pid}`,
  words: [],
};
let registry;
let containerd;
let shimChild;
let reference;
/** name -> { cri, endpoint, cgroupParent, pods: Set<id>, samples: { rpc: ms[] }, rss: {} } */
const runtimes = [];
let failed = false;

/** A free 10.150-199.x.0/24 (not used by any address or route here). */
async function pickSubnet() {
  const used = (await sh('ip', ['-4', '-o', 'addr', 'show'])).stdout + (await sh('ip', ['-4', 'route', 'show', 'table', 'all'])).stdout;
  for (let i = 0; i < 100; i++) {
    const prefix = `10.${randomInt(150, 200)}.${randomInt(0, 256)}.`;
    if (!used.includes(prefix)) return prefix;
  }
  throw new Error('no free 10.150-199.x.0/24');
}

// What kubelet sends for a pod that sets no security context: its own namespaces per container
// except network and IPC, /proc masked and read-only as kubelet's default proc mount, no seccomp.
// (Left to a runtime's defaults, containerd 1.6 shares the pod's PID namespace and masks nothing.)
const KUBELET_NAMESPACES = { network: NamespaceMode.POD, pid: NamespaceMode.CONTAINER, ipc: NamespaceMode.POD };

function podConfig(rt, name) {
  const uid = `${name}-${pid}-${randomBytes(3).toString('hex')}`;
  return {
    metadata: { name, namespace: 'bench', uid, attempt: 0 },
    hostname: name,
    logDirectory: join(dir, 'logs', rt.name, uid),
    linux: { cgroupParent: rt.cgroupParent, securityContext: { namespaceOptions: KUBELET_NAMESPACES } },
  };
}

function containerConfig(image) {
  return {
    metadata: { name: 'c', attempt: 0 },
    image: { image },
    command: ['sh', '-c', CONTAINER_SCRIPT],
    logPath: 'c.log',
    linux: {
      securityContext: {
        namespaceOptions: KUBELET_NAMESPACES,
        maskedPaths: [...DEFAULT_MASKED_PATHS],
        readonlyPaths: [...DEFAULT_READONLY_PATHS],
        seccomp: { profileType: SecurityProfile_ProfileType.Unconfined },
      },
    },
  };
}

async function timed(rt, rpc, fn) {
  const t0 = performance.now();
  const result = await fn();
  const t1 = performance.now();
  (rt.samples[rpc] ??= []).push(t1 - t0);
  rt.windows.push({ rpc, t0: performance.timeOrigin + t0, t1: performance.timeOrigin + t1 });
  return result;
}

/** Pod + container up: RunPodSandbox, CreateContainer, StartContainer (timed when `record`). */
async function podUp(rt, name, image, record) {
  const t = record ? (rpc, fn) => timed(rt, rpc, fn) : (_rpc, fn) => fn();
  const config = podConfig(rt, name);
  const { podSandboxId } = await t('RunPodSandbox', () => rt.cri.runtime.runPodSandbox({ config }, call));
  rt.pods.add(podSandboxId);
  const { containerId } = await t('CreateContainer', () =>
    rt.cri.runtime.createContainer({ podSandboxId, config: containerConfig(image), sandboxConfig: config }, call),
  );
  await t('StartContainer', () => rt.cri.runtime.startContainer({ containerId }, call));
  return { podSandboxId, containerId };
}

/** Stop + remove container and pod (timed when `record`). */
async function podDown(rt, { podSandboxId, containerId }, record) {
  const t = record ? (rpc, fn) => timed(rt, rpc, fn) : (_rpc, fn) => fn();
  await t('StopContainer', () => rt.cri.runtime.stopContainer({ containerId, timeout: 10n }, call));
  await t('RemoveContainer', () => rt.cri.runtime.removeContainer({ containerId }, call));
  await t('StopPodSandbox', () => rt.cri.runtime.stopPodSandbox({ podSandboxId }, call));
  await t('RemovePodSandbox', () => rt.cri.runtime.removePodSandbox({ podSandboxId }, call));
  rt.pods.delete(podSandboxId);
}

async function lifecycle(rt, image, record) {
  const pod = await podUp(rt, 'life', image, record);
  const exec = await (record ? (fn) => timed(rt, 'ExecSync', fn) : (fn) => fn())(() =>
    rt.cri.runtime.execSync({ containerId: pod.containerId, cmd: ['echo', 'hello'], timeout: 10n }, call),
  );
  if (exec.exitCode !== 0 || exec.stdout.toString() !== 'hello\n') throw new Error(`${rt.name}: ExecSync gave ${exec.exitCode} ${JSON.stringify(exec.stdout.toString())}`);
  if (record) {
    for (let i = 0; i < 3; i++) {
      await timed(rt, 'ListContainers (1 pod)', () => rt.cri.runtime.listContainers({}, call));
      await timed(rt, 'ListPodSandbox (1 pod)', () => rt.cri.runtime.listPodSandbox({}, call));
    }
  }
  await podDown(rt, pod, record);
}

/** Runs `fn` over items, `BATCH` at a time, until done or `deadline`; returns what succeeded. */
async function inBatches(items, deadline, fn) {
  const done = [];
  for (let i = 0; i < items.length; i += BATCH) {
    signal.throwIfAborted();
    if (performance.now() > deadline) throw new Error(`phase over its ${PHASE_MS / 1000} s budget after ${done.length} of ${items.length}`);
    const results = await Promise.allSettled(items.slice(i, i + BATCH).map(fn));
    const bad = results.find((r) => r.status === 'rejected');
    done.push(...results.filter((r) => r.status === 'fulfilled').map((r) => r.value));
    if (bad) throw bad.reason;
  }
  return done;
}

/**
 * RSS of the daemon with its own helper children (shimkit's host helper), and of the per-pod
 * monitors (conmon / containerd-shim).
 */
async function rssOf(rt) {
  const all = await processesNaming(rt.helperMarker);
  const isMonitor = (p) => rt.helperName.test(p.cmdline.split(' ')[0] ?? '');
  const helpers = all.filter((p) => isMonitor(p) && p.pid !== rt.pid);
  let helperKiB = 0;
  for (const p of helpers) helperKiB += await rssKiB(p.pid);
  const daemon = await daemonRss(rt.pid, isMonitor);
  return { daemonKiB: daemon.kiB, daemonProcs: daemon.procs, helpers: helpers.length, helperKiB };
}

/** PODS pods on each runtime at once, then List* alternating between them, RSS, teardown. */
async function manyPods(image) {
  const names = Array.from({ length: PODS }, (_, i) => `bulk-${i}`);
  const pods = new Map();
  for (const rt of runtimes) {
    log(`${rt.name}: ${PODS} pods with one container each, ${BATCH} at a time`);
    const t0 = performance.now();
    pods.set(rt, await inBatches(names, t0 + PHASE_MS, (name) => podUp(rt, name, image, false)));
    rt.bulkUpMs = performance.now() - t0;
  }
  for (let i = 0; i < LIST_CALLS; i++) {
    for (const rt of i % 2 === 0 ? runtimes : [...runtimes].reverse()) {
      const c = await timed(rt, `ListContainers (${PODS} pods)`, () => rt.cri.runtime.listContainers({}, call));
      const p = await timed(rt, `ListPodSandbox (${PODS} pods)`, () => rt.cri.runtime.listPodSandbox({}, call));
      if (c.containers.length !== PODS || p.items.length !== PODS) throw new Error(`${rt.name}: listed ${c.containers.length} containers, ${p.items.length} pods`);
    }
  }
  for (const rt of runtimes) rt.rss.loaded = await rssOf(rt);
  for (const rt of runtimes) {
    const t0 = performance.now();
    await inBatches(pods.get(rt), t0 + PHASE_MS, (pod) => podDown(rt, pod, false));
    rt.bulkDownMs = performance.now() - t0;
    log(`${rt.name}: ${PODS} pods up in ${(rt.bulkUpMs / 1000).toFixed(1)} s, down in ${(rt.bulkDownMs / 1000).toFixed(1)} s`);
  }
}

/** Stops and removes whatever pods a runtime still has (bounded), through CRI. */
async function removeAllPods(rt) {
  const deadline = performance.now() + 180_000;
  const opts = { timeoutMs: 30_000 };
  const listed = await rt.cri.runtime.listPodSandbox({}, opts).then((r) => r.items.map((p) => p.id), () => []);
  const ids = [...new Set([...rt.pods, ...listed])];
  for (let i = 0; i < ids.length && performance.now() < deadline; i += BATCH) {
    const results = await Promise.allSettled(
      ids.slice(i, i + BATCH).map(async (podSandboxId) => {
        await rt.cri.runtime.stopPodSandbox({ podSandboxId }, opts);
        await rt.cri.runtime.removePodSandbox({ podSandboxId }, opts);
        rt.pods.delete(podSandboxId);
      }),
    );
    for (const r of results) if (r.status === 'rejected') console.error(`${rt.name}: removing a pod: ${r.reason?.message ?? r.reason}`);
  }
}

const refTimes = [];
let profile;
try {
  log(`shimkit vs containerd: ${N} lifecycles each, then ${PODS} pods each; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  registry = await startRegistry({ signal });
  const images = await pushTestImages(registry, { signal });
  log(`registry ${registry.url}: ${images.busybox.reference}, ${images.pause.reference}`);
  containerd = await startContainerd({ registry, pauseImage: images.pause.reference, signal });
  log(`containerd ${containerd.endpoint} (pid ${containerd.pid}), bridge ${containerd.bridge} ${containerd.subnet}`);

  const prefix = await pickSubnet();
  shimHost.words = [prefix, shimHost.bridge, `shimkit-bench-${pid}`];
  const confDir = join(dir, 'cni');
  await mkdir(confDir, { recursive: true });
  await writeFile(
    join(confDir, '10-bench.conflist'),
    JSON.stringify({
      cniVersion: '1.0.0',
      name: `shimkit-bench-${pid}`,
      plugins: [
        {
          type: 'bridge', bridge: shimHost.bridge, isGateway: false, isDefaultGateway: false, ipMasq: false, hairpinMode: false,
          ipam: { type: 'host-local', ranges: [[{ subnet: `${prefix}0/24` }]], routes: [], dataDir: join(dir, 'ipam') },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    }),
  );
  const socket = join(dir, 'cri.sock');
  const config = join(dir, 'shimkit.json');
  const network = { confDir, binDirs: ['/usr/lib/cni'] };
  await writeFile(config, JSON.stringify({ runtime: { runtime: 'runc' }, images: { registry: { hosts: { [registry.host]: { plainHttp: true } } } }, network }));
  const trace = PROFILE ? join(dir, 'spawn-trace.jsonl') : undefined;
  shimChild = await startShim({ socket, root: join(dir, 'root'), state: join(dir, 'state'), config, trace });
  log(`shimkit unix://${socket} (pid ${shimChild.pid}), bridge ${shimHost.bridge} ${prefix}0/24`);

  runtimes.push(
    { name: 'shimkit', endpoint: `unix://${socket}`, pid: shimChild.pid, cgroupParent: `/${shimHost.cgroup}`, helperMarker: dir, helperName: /conmon$/, pods: new Set(), samples: {}, windows: [], rss: {} },
    { name: 'containerd', endpoint: containerd.endpoint, pid: containerd.pid, cgroupParent: containerd.cgroupParent, helperMarker: containerd.dir, helperName: /containerd-shim/, pods: new Set(), samples: {}, windows: [], rss: {} },
  );
  for (const rt of runtimes) {
    // No signal here: aborting would close the client, which cleanup still needs; calls take it.
    rt.cri = await connect(rt.endpoint, { defaultTimeoutMs: 60_000 });
    const v = await rt.cri.runtime.version({ version: 'v1' }, call);
    rt.version = `${v.runtimeName} ${v.runtimeVersion}`;
    const t0 = performance.now();
    await rt.cri.image.pullImage({ image: { image: images.busybox.reference } }, call);
    rt.pullMs = performance.now() - t0;
    // containerd pulls its sandbox image on the first RunPodSandbox; do it now, untimed.
    if (rt.name === 'containerd') await rt.cri.image.pullImage({ image: { image: images.pause.reference } }, call);
  }
  reference = await RuncReference.start(join(dir, 'ref'), shimHost.cgroup);

  // Warm-up (page cache, lazily made dirs, first CNI run), not counted.
  for (const rt of runtimes) await lifecycle(rt, images.busybox.reference, false);
  await reference.lifecycle();
  await settle();
  for (const rt of runtimes) rt.rss.idle = await rssOf(rt);

  const lifecycleDeadline = performance.now() + PHASE_MS;
  for (let i = 0; i < N; i++) {
    signal.throwIfAborted();
    if (performance.now() > lifecycleDeadline) throw new Error(`lifecycles over their ${PHASE_MS / 1000} s budget after ${i}`);
    const order = i % 2 === 0 ? [runtimes[0], runtimes[1]] : [runtimes[1], runtimes[0]];
    for (const rt of order) await lifecycle(rt, images.busybox.reference, true);
    refTimes.push(await reference.lifecycle());
  }
  log(`${N} lifecycles each done`);
  if (PROFILE) profile = await profileRpcs(join(dir, 'spawn-trace.jsonl'), runtimes[0].windows, LIFECYCLE);
  await settle();
  for (const rt of runtimes) rt.rss.idleAfter = await rssOf(rt);

  await manyPods(images.busybox.reference);
} catch (e) {
  failed = true;
  if (!interrupted) console.error(`\nbench failed: ${e?.stack ?? e}`);
  if (shimChild?.stderrTail?.()) console.error(`shim stderr (tail):\n${shimChild.stderrTail()}`);
} finally {
  log('cleaning up');
  for (const rt of runtimes) if (rt.cri) await removeAllPods(rt).catch((e) => console.error(`${rt.name}: removing pods: ${e.message}`));
  for (const rt of runtimes) await rt.cri?.close().catch(() => undefined);
  await stopShim(shimChild).catch(() => undefined);
  await reference?.close().catch(() => undefined);
  const shimLeft = await shimLeftovers(shimHost, false);
  await forceCleanShim(shimHost);
  await containerd?.close().catch((e) => console.error(`containerd close: ${e.message}`));
  await registry?.close().catch((e) => console.error(`registry close: ${e.message}`));
  let left = !clean(shimLeft);
  if (left) console.error(`shimkit left (now force-removed): ${JSON.stringify(shimLeft)}`);
  const after = await shimLeftovers(shimHost, true);
  for (const [what, l] of [['shimkit', after], ...(await Promise.all([containerd, registry].filter(Boolean).map(async (d) => [d.id, await leftovers(d.id)])))]) {
    if (!(what === 'shimkit' ? clean(l) : isClean(l))) {
      left = true;
      console.error(`left behind by ${what}: ${JSON.stringify(l)}`);
    }
  }
  if (left) failed = true;
  else log('nothing left behind (pods, processes, mounts, interfaces, iptables, cgroups, files)');
}

if (runtimes.length === 2 && runtimes[0].samples.RunPodSandbox?.length) {
  const [shim, ctrd] = runtimes;
  const rows = [['RPC', 'shimkit med', 'p90', 'containerd med', 'p90', 'ratio', 'goal (<= containerd)']];
  const rpcs = [...LIFECYCLE, 'ListContainers (1 pod)', 'ListPodSandbox (1 pod)', `ListContainers (${PODS} pods)`, `ListPodSandbox (${PODS} pods)`];
  for (const rpc of rpcs) {
    const a = shim.samples[rpc] ?? [];
    const b = ctrd.samples[rpc] ?? [];
    const ratio = median(a) / median(b);
    rows.push([rpc, ms(median(a)), ms(p90(a)), ms(median(b)), ms(p90(b)), Number.isFinite(ratio) ? ratio.toFixed(2) : '-', Number.isFinite(ratio) ? (ratio <= 1 ? 'met' : 'MISSED') : '-']);
  }
  // containerd runs `runc create` in StartContainer and `runc delete` when the task exits
  // (inside StopContainer); shimkit in CreateContainer and RemoveContainer. Per-lifecycle sums
  // compare the same work.
  const pairSum = (rt, x, y) => (rt.samples[x] ?? []).map((v, i) => v + (rt.samples[y]?.[i] ?? Number.NaN));
  for (const [x, y, label] of [['CreateContainer', 'StartContainer', 'Create+StartContainer'], ['StopContainer', 'RemoveContainer', 'Stop+RemoveContainer']]) {
    const a = pairSum(shim, x, y);
    const b = pairSum(ctrd, x, y);
    const ratio = median(a) / median(b);
    rows.push([label, ms(median(a)), ms(p90(a)), ms(median(b)), ms(p90(b)), ratio.toFixed(2), ratio <= 1 ? 'met' : 'MISSED']);
  }
  const sumMedians = (rt) => LIFECYCLE.reduce((s, rpc) => s + median(rt.samples[rpc] ?? []), 0);
  rows.push(['lifecycle (sum of medians)', ms(sumMedians(shim)), '', ms(sumMedians(ctrd)), '', (sumMedians(shim) / sumMedians(ctrd)).toFixed(2), '']);
  const ref = (k) => refTimes.map((r) => r[k]);
  rows.push(['bare runc create+start+kill+delete', ms(median(ref('total'))), ms(p90(ref('total'))), '', '', '', '(reference)']);
  for (const k of ['create', 'start', 'kill', 'delete']) rows.push([`  runc ${k}`, ms(median(ref(k))), ms(p90(ref(k))), '', '', '', '']);
  console.log(`\n${shim.version} vs ${ctrd.version}; ${shim.samples.RunPodSandbox.length} lifecycles each, ms; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(table(rows));
  const mib = (k) => (k / 1024).toFixed(1);
  const rssRows = [['RSS (MiB)', 'shimkit', 'containerd']];
  for (const [label, key] of [['daemon idle (after warm-up)', 'idle'], [`daemon idle (after ${N} lifecycles)`, 'idleAfter'], [`daemon with ${PODS} pods`, 'loaded']]) {
    const daemon = (rt) => (rt.rss[key] ? `${mib(rt.rss[key].daemonKiB)}${rt.rss[key].daemonProcs > 1 ? ` (${rt.rss[key].daemonProcs} procs)` : ''}` : '-');
    rssRows.push([label, daemon(shim), daemon(ctrd)]);
  }
  const helpers = (rt) => (rt.rss.loaded ? `${mib(rt.rss.loaded.helperKiB)} (${rt.rss.loaded.helpers} procs)` : '-');
  rssRows.push([`per-pod monitors with ${PODS} pods (conmon / containerd-shim)`, helpers(shim), helpers(ctrd)]);
  console.log(`\n${table(rssRows)}`);
  const inAll = (rt, key) => ({ kiB: rt.rss[key].daemonKiB, procs: rt.rss[key].daemonProcs });
  if (shim.rss.idle) console.log(idleRssLine('after warm-up', inAll(shim, 'idle'), inAll(ctrd, 'idle')));
  if (shim.rss.idleAfter) console.log(idleRssLine(`after ${N} lifecycles`, inAll(shim, 'idleAfter'), inAll(ctrd, 'idleAfter')));
  const s = (x) => (x === undefined ? '-' : `${(x / 1000).toFixed(1)} s`);
  console.log(`\n${PODS} pods up (${BATCH} at a time): shimkit ${s(shim.bulkUpMs)}, containerd ${s(ctrd.bulkUpMs)}; down: shimkit ${s(shim.bulkDownMs)}, containerd ${s(ctrd.bulkDownMs)}`);
  console.log(`PullImage busybox (first, cold): shimkit ${ms(shim.pullMs)} ms, containerd ${ms(ctrd.pullMs)} ms`);
  if (profile) console.log(`\nshimkit RPCs split by the child processes it ran (medians, ms; "no child" = the shim's own code, gRPC, waits):\n${profile}`);
}
process.exit(interrupted ? 130 : failed ? 1 : 0);

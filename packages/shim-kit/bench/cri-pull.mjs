// Benchmark (not a test): PullImage through the CRI socket, `shimkit serve` vs containerd 1.6's
// CRI, same machine, same run, same local registry, the same two images (pull-images.mjs).
// One long-running daemon each, as kubelet has; every pull starts from an empty store (the image
// is removed after each pull and the store checked empty), runtimes alternate and the order
// flips every round. Wall time and the CPU the daemon and its children burned (utime + stime
// from /proc), medians and ratios; the shim's RSS 15 s after an image's last pull against its
// idle RSS before the first.
//   npm run bench    or    BENCH_PULL_ROUNDS=7 node bench/cri-pull.mjs
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect } from '@shimkit/cri-types';
import { startContainerd, startRegistry } from '@shimkit/test-bed';
import { daemonRss, idleRssLine } from './host.mjs';
import { pushPullImages } from './pull-images.mjs';
import { SETTLE_MS, settle, startShim, stopShim } from './shim-process.mjs';
import { median, table } from './stats.mjs';

const ROUNDS = Number(process.env.BENCH_PULL_ROUNDS ?? 5);
if (!(ROUNDS >= 1 && ROUNDS <= 50)) throw new Error(`BENCH_PULL_ROUNDS must be 1..50, not ${process.env.BENCH_PULL_ROUNDS}`);
/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const TICKS = 100;
const call = { timeoutMs: 300_000 };

const log = (s) => console.log(`[${((performance.now() / 1000) | 0).toString().padStart(4)} s] ${s}`);

/** CPU seconds (user + system) of `pid` and every process below it, with their ended children. */
async function treeCpuSeconds(pid) {
  let ticks = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop();
    const stat = await readFile(`/proc/${p}/stat`, 'utf8').catch(() => '');
    if (stat === '') continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime, stime, cutime, cstime
    ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    for (const task of await readdir(`/proc/${p}/task`).catch(() => [])) {
      const children = await readFile(`/proc/${p}/task/${task}/children`, 'utf8').catch(() => '');
      stack.push(...children.split(' ').filter(Boolean).map(Number));
    }
  }
  return ticks / TICKS;
}

/** Files below `dir`, which must exist, but for dot files (shimkit's `snapshots/.kind` records the snapshotter). */
async function filesUnder(dir) {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => !e.isDirectory() && !e.name.startsWith('.')).length;
}

/**
 * One timed pull of `image` into `rt`'s empty store, then RemoveImage and a check that the
 * store is empty again (so the next pull fetches and unpacks everything).
 */
async function measure(rt, image) {
  const cpu0 = await treeCpuSeconds(rt.pid);
  const t0 = performance.now();
  const { imageRef } = await rt.cri.image.pullImage({ image: { image } }, call);
  const wall = (performance.now() - t0) / 1000;
  const cpu = (await treeCpuSeconds(rt.pid)) - cpu0;
  if (!imageRef) throw new Error(`${rt.name}: PullImage of ${image} returned no image ref`);
  await rt.cri.image.removeImage({ image: { image: imageRef } }, call);
  for (const dir of rt.storeDirs) {
    const left = await filesUnder(dir);
    if (left > 0) throw new Error(`${rt.name}: ${left} files left in ${dir} after RemoveImage; the next pull would not start empty`);
  }
  return { wall, cpu };
}

const work = await mkdtemp(join(tmpdir(), `shimkit-bench-pull-${process.pid}-`));
const registry = await startRegistry();
let shim;
let containerd;
try {
  log('building the images offline and pushing them to the local registry ...');
  const images = await pushPullImages(registry, work);
  for (const [name, { ref, bytes }] of Object.entries(images)) log(`${name}: ${ref}, ${(bytes / 1e6).toFixed(1)} MB compressed`);

  const config = join(work, 'shimkit.json');
  await writeFile(config, JSON.stringify({ runtime: { runtime: 'runc' }, images: { registry: { hosts: { [registry.host]: { plainHttp: true } } } } }));
  const shimDir = join(work, 'shim');
  const socket = join(shimDir, 'cri.sock');
  shim = await startShim({ socket, root: join(shimDir, 'root'), state: join(shimDir, 'state'), config });
  containerd = await startContainerd({ registry, pauseImage: images.small.ref });
  const snapshots = 'io.containerd.snapshotter.v1.overlayfs/snapshots';
  const runtimes = {
    shimkit: { name: 'shimkit', endpoint: `unix://${socket}`, pid: shim.pid, storeDirs: ['snapshots', 'content/blobs'].map((d) => join(shimDir, 'root', 'images', d)) },
    containerd: { name: 'containerd', endpoint: containerd.endpoint, pid: containerd.pid, storeDirs: [join(containerd.root, snapshots), join(containerd.root, 'io.containerd.content.v1.content/blobs')] },
  };
  for (const rt of Object.values(runtimes)) rt.cri = await connect(rt.endpoint, { defaultTimeoutMs: call.timeoutMs });
  await settle();
  const idle = { shimkit: await daemonRss(shim.pid), containerd: await daemonRss(containerd.pid) };
  log(`shimkit pid ${shim.pid}, containerd pid ${containerd.pid}; ${idleRssLine('before the first pull', idle.shimkit, idle.containerd)}`);

  const results = {};
  const rssAfter = {};
  for (const [imageName, { ref }] of Object.entries(images)) {
    // One untimed pull each first: a daemon that has pulled before (kubelet's pause image, say)
    // has its code warm and the registry's blobs in the page cache.
    for (const rt of ['shimkit', 'containerd']) await measure(runtimes[rt], ref);
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? ['shimkit', 'containerd'] : ['containerd', 'shimkit'];
      for (const rt of order) {
        const r = await measure(runtimes[rt], ref);
        ((results[imageName] ??= {})[rt] ??= []).push(r);
        log(`${imageName} round ${round + 1}/${ROUNDS} ${rt}: ${r.wall.toFixed(3)} s, CPU ${r.cpu.toFixed(2)} s`);
      }
    }
    await settle();
    rssAfter[imageName] = (await daemonRss(shim.pid)).kiB;
    log(`${imageName}: shimkit RSS in all ${(rssAfter[imageName] / 1024).toFixed(0)} MiB ${SETTLE_MS / 1000} s after its last pull`);
  }

  const rows = [['image', 'shimkit s', 'containerd s', 'ratio', 'shimkit CPU s', 'containerd CPU s', 'CPU ratio', 'shimkit RSS over idle MiB']];
  for (const [imageName, byRt] of Object.entries(results)) {
    const m = (rt, key) => median(byRt[rt].map((r) => r[key]));
    const growth = (rssAfter[imageName] - idle.shimkit.kiB) / 1024;
    rows.push([
      `${imageName} (${(images[imageName].bytes / 1e6).toFixed(0)} MB)`,
      m('shimkit', 'wall').toFixed(3), m('containerd', 'wall').toFixed(3), (m('shimkit', 'wall') / m('containerd', 'wall')).toFixed(2),
      m('shimkit', 'cpu').toFixed(2), m('containerd', 'cpu').toFixed(2), (m('shimkit', 'cpu') / m('containerd', 'cpu')).toFixed(2),
      growth.toFixed(1),
    ]);
  }
  console.log(`\nPullImage through the CRI, medians of ${ROUNDS} pulls each, empty store every pull (ratio: shimkit / containerd, lower is better); load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  console.log(table(rows));
  const wall = (image) => median(results[image].shimkit.map((r) => r.wall));
  console.log(`\n${idleRssLine('before the first pull', idle.shimkit, idle.containerd)}`);
  console.log(`shimkit RSS over idle: the shim's RSS in all ${SETTLE_MS / 1000} s after an image's last pull, less its idle RSS (issue 13: within 10 MiB)`);
  console.log(`shimkit, zstd layers against gzip layers of the same image: ${(wall('large zstd') / wall('large')).toFixed(2)}x the time`);
} finally {
  await stopShim(shim);
  await containerd?.close();
  await registry.close();
  await rm(work, { recursive: true, force: true });
}

// Benchmark (not a test, not in `npm run bench`): PullImage side by side for two builds of
// shimkit and containerd 1.6, in one run on the same machine: this build's `shimkit serve`,
// another build's (BENCH_BASELINE_CLI: its dist/cli/main.js, e.g. main's, built elsewhere) and
// containerd, the three alternating, the order rotating each round. Medians, ratios to
// containerd, and each shim's RSS in all when idle and 15 s after an image's last pull.
//   BENCH_BASELINE_CLI=/tmp/main/packages/shim-kit/dist/cli/main.js [BENCH_PULL_ROUNDS=5] [BENCH_IMAGES=small,large] node bench/pull-ab.mjs
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect } from '@shimkit/cri-types';
import { startContainerd, startRegistry } from '@shimkit/test-bed';
import { daemonRss } from './host.mjs';
import { pushPullImages } from './pull-images.mjs';
import { settle, startShim, stopShim } from './shim-process.mjs';
import { median } from './stats.mjs';

const ROUNDS = Number(process.env.BENCH_PULL_ROUNDS ?? 5);
if (!(ROUNDS >= 1 && ROUNDS <= 50)) throw new Error(`BENCH_PULL_ROUNDS must be 1..50, not ${process.env.BENCH_PULL_ROUNDS}`);
const BASELINE = process.env.BENCH_BASELINE_CLI;
if (!BASELINE) throw new Error('BENCH_BASELINE_CLI must name the dist/cli/main.js of the shimkit build to compare with');
const call = { timeoutMs: 300_000 };
const mib = (kiB) => (kiB / 1024).toFixed(1);
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');

/** One pull of `ref` into an empty store, then RemoveImage; resolves with the seconds the pull took. */
async function pull(rt, ref) {
  const t0 = performance.now();
  const { imageRef } = await rt.cri.image.pullImage({ image: { image: ref } }, call);
  const seconds = (performance.now() - t0) / 1000;
  await rt.cri.image.removeImage({ image: { image: imageRef } }, call);
  return seconds;
}

const work = await mkdtemp(join(tmpdir(), `shimkit-bench-pull-ab-${process.pid}-`));
const registry = await startRegistry();
const shims = [];
let containerd;
const runtimes = {};
try {
  const images = await pushPullImages(registry, work);
  const config = join(work, 'shimkit.json');
  await writeFile(config, JSON.stringify({ runtime: { runtime: 'runc' }, images: { registry: { hosts: { [registry.host]: { plainHttp: true } } } } }));
  for (const [name, cli] of [['this build', undefined], ['baseline', BASELINE]]) {
    const dir = join(work, name.replace(' ', '-'));
    const socket = join(dir, 'cri.sock');
    const child = await startShim({ socket, root: join(dir, 'root'), state: join(dir, 'state'), config, ...(cli ? { cli } : {}) });
    shims.push(child);
    runtimes[name] = { pid: child.pid, cri: await connect(`unix://${socket}`, { defaultTimeoutMs: call.timeoutMs }) };
  }
  containerd = await startContainerd({ registry, pauseImage: images.small.ref });
  runtimes.containerd = { pid: containerd.pid, cri: await connect(containerd.endpoint, { defaultTimeoutMs: call.timeoutMs }) };
  const names = Object.keys(runtimes);
  await settle();
  const idle = {};
  for (const n of names) idle[n] = await daemonRss(runtimes[n].pid);
  console.log(`idle RSS in all: ${names.map((n) => `${n} ${mib(idle[n].kiB)} MiB`).join(', ')}; load average ${load()}`);
  const wanted = process.env.BENCH_IMAGES?.split(',');
  for (const [image, { ref }] of Object.entries(images).filter(([i]) => !wanted || wanted.includes(i))) {
    for (const n of names) await pull(runtimes[n], ref); // untimed: code warm, blobs in the page cache
    const seconds = {};
    for (let round = 0; round < ROUNDS; round++) {
      for (const n of names.map((_, i) => names[(i + round) % names.length])) (seconds[n] ??= []).push(await pull(runtimes[n], ref));
    }
    await settle();
    const m = Object.fromEntries(names.map((n) => [n, median(seconds[n])]));
    const parts = [];
    for (const n of names) {
      const rss = (await daemonRss(runtimes[n].pid)).kiB;
      parts.push(`${n} ${m[n].toFixed(3)} s (/ containerd ${(m[n] / m.containerd).toFixed(2)}; RSS ${mib(rss)} MiB, idle + ${mib(rss - idle[n].kiB)})`);
    }
    console.log(`${image}: ${parts.join('; ')}; this build / baseline ${(m['this build'] / m.baseline).toFixed(2)}; load average ${load()}`);
  }
} finally {
  for (const rt of Object.values(runtimes)) await rt.cri.close();
  for (const s of shims) await stopShim(s);
  await containerd?.close();
  await registry.close();
  await rm(work, { recursive: true, force: true });
}

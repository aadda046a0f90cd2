// Benchmark (not a test): `shimkit image copy` against `skopeo copy` (Debian's skopeo 1.9),
// same run, same machine, the pull bench's large image (pull-images.mjs): registry to another
// registry and registry to an oci-archive file. Every copy goes to a destination that has none
// of the blobs: a docker-registry started for that copy alone (skopeo remembers where it saw
// blobs and mounts them from another repository of the same registry), a new file. The tools
// alternate and the order flips every round. Medians of wall time and of the copying process's
// CPU time (user + system, less dependent on what else the machine runs), and their ratios.
//   npm run bench    or    BENCH_COPY_ROUNDS=5 node bench/image-copy.mjs
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startRegistry } from '@shimkit/test-bed';
import { pushPullImages } from './pull-images.mjs';
import { median, table } from './stats.mjs';

const ROUNDS = Number(process.env.BENCH_COPY_ROUNDS ?? 3);
if (!(ROUNDS >= 1 && ROUNDS <= 20)) throw new Error(`BENCH_COPY_ROUNDS must be 1..20, not ${process.env.BENCH_COPY_ROUNDS}`);
const run = promisify(execFile);
const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const TIMEOUT_MS = 300_000;
const TICKS = 100;

/** CPU seconds (user + system) of this process's children that have ended and been waited for. */
async function endedChildrenCpuSeconds() {
  const stat = await readFile('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / TICKS; // cutime, cstime
}

const TOOLS = {
  shimkit: (src, dst) => run(process.execPath, [cli, 'image', 'copy', '--quiet', '--src-tls-verify=false', '--dest-tls-verify=false', src, dst], { timeout: TIMEOUT_MS }),
  skopeo: (src, dst) => run('skopeo', ['copy', '--quiet', '--insecure-policy', '--src-tls-verify=false', '--dest-tls-verify=false', src, dst], { timeout: TIMEOUT_MS }),
};

const work = await mkdtemp(join(tmpdir(), `shimkit-bench-copy-${process.pid}-`));
const source = await startRegistry();
let target;
try {
  const { large } = await pushPullImages(source, work);
  console.log(`image ${large.ref}, ${(large.bytes / 1e6).toFixed(1)} MB compressed`);
  const kinds = {
    'registry to registry': async (tool) => {
      await target?.close();
      target = await startRegistry();
      return `docker://${target.host}/copy/${tool}:v1`;
    },
    'registry to oci-archive': async (tool, n) => `oci-archive:${join(work, `${tool}-${n}.tar`)}:v1`,
  };
  const seconds = {};
  const cpuSeconds = {};
  let n = 0;
  for (const [kind, destination] of Object.entries(kinds)) {
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? ['shimkit', 'skopeo'] : ['skopeo', 'shimkit'];
      for (const tool of order) {
        const dst = await destination(tool, n++);
        const cpu0 = await endedChildrenCpuSeconds();
        const t0 = performance.now();
        await TOOLS[tool](`docker://${large.ref}`, dst);
        const s = (performance.now() - t0) / 1000;
        const cpu = (await endedChildrenCpuSeconds()) - cpu0;
        ((seconds[kind] ??= {})[tool] ??= []).push(s);
        ((cpuSeconds[kind] ??= {})[tool] ??= []).push(cpu);
        console.log(`${kind} round ${round + 1}/${ROUNDS} ${tool}: ${s.toFixed(2)} s, cpu ${cpu.toFixed(2)} s, load ${(await readFile('/proc/loadavg', 'utf8')).split(' ')[0]}`);
        if (dst.startsWith('oci-archive:')) await rm(dst.slice('oci-archive:'.length, -':v1'.length), { force: true });
      }
    }
  }
  const rows = [['copy', 'shimkit s', 'skopeo s', 'ratio', 'shimkit cpu s', 'skopeo cpu s', 'cpu ratio']];
  for (const [kind, byTool] of Object.entries(seconds)) {
    const [a, b] = [median(byTool.shimkit), median(byTool.skopeo)];
    const [ca, cb] = [median(cpuSeconds[kind].shimkit), median(cpuSeconds[kind].skopeo)];
    rows.push([kind, a.toFixed(2), b.toFixed(2), (a / b).toFixed(2), ca.toFixed(2), cb.toFixed(2), (ca / cb).toFixed(2)]);
  }
  console.log(`\nimage copy, medians of ${ROUNDS} (ratio: shimkit / skopeo, lower is better)\n`);
  console.log(table(rows));
} finally {
  await source.close();
  await target?.close();
  await rm(work, { recursive: true, force: true });
}

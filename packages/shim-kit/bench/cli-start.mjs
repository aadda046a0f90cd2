// Benchmark (not a test): short shimkit commands from a cold process, started as bin/shimkit
// starts them (from the CLI's startup snapshot), without the snapshot (SHIMKIT_NO_SNAPSHOT=1),
// and the reference tool's same command (podman, skopeo), alternating, the order rotating every
// round. Medians of wall time and of the CPU the whole command costs (cpuacct).
//   node bench/cli-start.mjs    (BENCH_START_ROUNDS, default 15)
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { pushTestImages, startRegistry } from '@shimkit/test-bed';
import { commandCgroup, cpuNs } from './cpuacct.mjs';
import { median, table } from './stats.mjs';

const ROUNDS = Number(process.env.BENCH_START_ROUNDS ?? 15);
if (!(ROUNDS >= 1 && ROUNDS <= 50)) throw new Error(`BENCH_START_ROUNDS must be 1..50, not ${process.env.BENCH_START_ROUNDS}`);
const bin = fileURLToPath(new URL('../bin/shimkit', import.meta.url));
const tag = randomBytes(3).toString('hex');
const work = await mkdtemp(`/tmp/start-bench-${tag}-`);
const engine = ['--root', join(work, 'root'), '--runroot', join(work, 'run')];
const podman = ['--root', join(work, 'podman', 'root'), '--runroot', join(work, 'podman', 'run')];
const cgroup = await commandCgroup(`start-bench-${tag}`);
const registry = await startRegistry();
try {
  const image = `docker://${(await pushTestImages(registry)).busybox.reference}`;
  const COMMANDS = {
    '--version': { shimkit: ['--version'], reference: ['podman', '--version'] },
    'ps -a (no containers)': { shimkit: [...engine, 'ps', '-a'], reference: ['podman', ...podman, 'ps', '-a'] },
    'image inspect (local registry)': { shimkit: ['image', 'inspect', '--tls-verify=false', image], reference: ['skopeo', 'inspect', '--tls-verify=false', image] },
  };
  const VARIANTS = {
    snapshot: (c) => [bin, c.shimkit, {}],
    'no snapshot': (c) => [bin, c.shimkit, { SHIMKIT_NO_SNAPSHOT: '1' }],
    reference: (c) => [c.reference[0], c.reference.slice(1), {}],
  };
  const names = Object.keys(VARIANTS);
  const rows = [['command', 'run as', 'wall ms', 'CPU ms']];
  const loads = [];
  for (const [label, command] of Object.entries(COMMANDS)) {
    const runs = {};
    for (let round = -1; round < ROUNDS; round++) {
      loads.push(Number((await readFile('/proc/loadavg', 'utf8')).split(' ')[0]));
      for (const name of names.map((_, i) => names[(i + Math.max(round, 0)) % names.length])) {
        const [file, args, env] = VARIANTS[name](command);
        const cpu0 = await cpuNs(cgroup.name);
        const t0 = performance.now();
        await cgroup.run(file, args, { env: { ...process.env, ...env }, timeout: 60_000 });
        const run = { wall: performance.now() - t0, cpu: ((await cpuNs(cgroup.name)) - cpu0) / 1e6 };
        // round -1 is unmeasured: first-use work (page cache, the podman store)
        if (round >= 0) (runs[name] ??= []).push(run);
      }
    }
    for (const name of names) rows.push([label, name === 'reference' ? command.reference[0] : name, median(runs[name].map((r) => r.wall)).toFixed(1), median(runs[name].map((r) => r.cpu)).toFixed(1)]);
  }
  console.log(`\ncold CLI commands, medians of ${ROUNDS}, load average ${Math.min(...loads)}-${Math.max(...loads)}\n`);
  console.log(table(rows));
} finally {
  await registry.close();
  await cgroup.remove();
  await rm(work, { recursive: true, force: true });
}

// Benchmark (not a test): create+start+kill+delete through the driver vs the same runc
// commands from a bash loop, interleaved in the same run. Prints medians and the ratio.
//   npm run bench            (needs `npm run build` first; root `npm run bench` builds)
//   BENCH_N=50 BENCH_ROUNDS=5 npm run bench
import { spawn } from 'node:child_process';
import { mkdtemp, rm, rmdir } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { RuncLifecycleLoop } from '@shimkit/test-bed';
import { Runc } from '../dist/index.js';

const N = Number(process.env.BENCH_N ?? 30);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const dir = await mkdtemp(join(tmpdir(), 'shimkit-bench-'));
const root = join('/run', `shimkit-bench-${process.pid}`);
const cgroupParent = `shimkit-bench-${process.pid}`;
const runc = new Runc({ root });

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

try {
  // The shell's lifecycles (test-bed's bin/runc-lifecycle-loop: one long-lived bash timing
  // itself with $EPOCHREALTIME, no extra fork) alternate one by one with the driver's, so both
  // see the same load on this shared machine.
  const loop = await RuncLifecycleLoop.start({ dir, root, cgroupsPath: `/${cgroupParent}/bench` });
  const bundle = join(dir, 'bundle');
  const shellLifecycle = async (id) => (await loop.lifecycle(id)).total;
  const driverLifecycle = async (id) => {
    const t0 = performance.now();
    await runc.create(id, { bundle });
    await runc.start(id);
    await runc.kill(id, 'SIGKILL');
    await runc.delete(id, { force: true });
    return performance.now() - t0;
  };

  // The same four commands through bare child_process.spawn: separates Node's own spawn
  // cost (fork of a large process) from what the driver adds on top of it.
  const spawnRunc = (args, stdio) =>
    new Promise((resolve, reject) => {
      const child = spawn('runc', ['--root', root, ...args], { stdio });
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`runc ${args[0]} exited ${code}`))));
    });
  const rawLifecycle = async (id) => {
    const t0 = performance.now();
    await spawnRunc(['create', '--bundle', bundle, id], 'ignore');
    await spawnRunc(['start', id], 'ignore');
    await spawnRunc(['kill', id, '9'], 'ignore');
    await spawnRunc(['delete', '--force', id], 'ignore');
    return performance.now() - t0;
  };

  const shellTimes = [];
  const driverTimes = [];
  const rawTimes = [];
  try {
    // warm-up (page cache, lazily created temp dir), not counted
    await shellLifecycle(`warm-sh-${process.pid}`);
    await driverLifecycle(`warm-drv-${process.pid}`);
    for (let i = 0; i < N * ROUNDS; i++) {
      // alternate which one goes first
      const order = i % 2 === 0 ? ['sh', 'raw', 'drv'] : ['drv', 'raw', 'sh'];
      for (const who of order) {
        const id = `${who}-${process.pid}-${i}`;
        if (who === 'sh') shellTimes.push(await shellLifecycle(id));
        else if (who === 'raw') rawTimes.push(await rawLifecycle(id));
        else driverTimes.push(await driverLifecycle(id));
      }
    }
  } finally {
    await loop.close();
  }
  const shell = median(shellTimes);
  const driver = median(driverTimes);
  const raw = median(rawTimes);
  console.log(`runtime: ${runc.binary}, ${N * ROUNDS} lifecycles each (create+start+kill+delete), shell and driver alternating`);
  console.log(`shell loop   median ${shell.toFixed(2)} ms / lifecycle`);
  console.log(`bare spawn   median ${raw.toFixed(2)} ms / lifecycle (child_process.spawn, no driver)`);
  console.log(`driver       median ${driver.toFixed(2)} ms / lifecycle`);
  console.log(`ratio driver/shell ${(driver / shell).toFixed(3)} (overhead ${((driver / shell - 1) * 100).toFixed(1)}%, goal <= 15%)`);
  console.log(`ratio driver/bare spawn ${(driver / raw).toFixed(3)}; bare spawn/shell ${(raw / shell).toFixed(3)}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
} finally {
  for (const c of await runc.list().catch(() => [])) await runc.delete(c.id, { force: true }).catch(() => undefined);
  await runc.close();
  await rm(root, { recursive: true, force: true });
  await rm(dir, { recursive: true, force: true });
  for (const c of ['memory', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'blkio', 'pids', 'systemd', 'unified', 'hugetlb', 'net_cls', 'perf_event']) {
    await rmdir(join('/sys/fs/cgroup', c, cgroupParent)).catch(() => undefined);
  }
}

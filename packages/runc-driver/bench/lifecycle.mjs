// Benchmark (not a test): create+start+kill+delete through the driver vs the same runc
// commands from a bash loop, interleaved in the same run. Prints medians and the ratio.
//   npm run bench            (needs `npm run build` first; root `npm run bench` builds)
//   BENCH_N=50 BENCH_ROUNDS=5 BENCH_RUNTIME=crun npm run bench
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { createBusyboxRootfs } from '@shimkit/test-bed';
import { Runc } from '../dist/index.js';

const N = Number(process.env.BENCH_N ?? 30);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const run = promisify(execFile);

const dir = await mkdtemp(join(tmpdir(), 'shimkit-bench-'));
const root = join('/run', `shimkit-bench-${process.pid}`);
const cgroupParent = `shimkit-bench-${process.pid}`;
const runc = new Runc({ root, tmpDir: dir });

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

try {
  const rootfs = join(dir, 'rootfs');
  await createBusyboxRootfs(rootfs);
  const bundle = join(dir, 'bundle');
  await mkdir(bundle);
  await runc.spec({ bundle });
  const spec = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8'));
  spec.process.terminal = false;
  spec.process.args = ['sleep', '60'];
  spec.root = { path: rootfs, readonly: true };
  spec.linux.cgroupsPath = `/${cgroupParent}/bench`;
  await writeFile(join(bundle, 'config.json'), JSON.stringify(spec));

  const shellLoop = `
    for i in $(seq 1 ${N}); do
      id=sh-${process.pid}-$1-$i
      t0=$EPOCHREALTIME
      runc --root ${root} create --bundle ${bundle} $id </dev/null >/dev/null 2>&1 || exit 1
      runc --root ${root} start $id || exit 1
      runc --root ${root} kill $id 9 || exit 1
      runc --root ${root} delete --force $id || exit 1
      t1=$EPOCHREALTIME
      echo "$t0 $t1"
    done`;

  const shellTimes = [];
  const driverTimes = [];
  for (let round = 0; round < ROUNDS; round++) {
    const { stdout } = await run('bash', ['-c', shellLoop, 'bench', String(round)]);
    for (const line of stdout.trim().split('\n')) {
      const [t0, t1] = line.split(' ').map(Number);
      shellTimes.push((t1 - t0) * 1000);
    }
    for (let i = 0; i < N; i++) {
      const id = `drv-${process.pid}-${round}-${i}`;
      const t0 = performance.now();
      await runc.create(id, { bundle });
      await runc.start(id);
      await runc.kill(id, 'SIGKILL');
      await runc.delete(id, { force: true });
      driverTimes.push(performance.now() - t0);
    }
  }
  const shell = median(shellTimes);
  const driver = median(driverTimes);
  console.log(`runtime: ${runc.binary}, ${ROUNDS} rounds x ${N} lifecycles each (create+start+kill+delete), interleaved`);
  console.log(`shell loop   median ${shell.toFixed(2)} ms / lifecycle`);
  console.log(`driver       median ${driver.toFixed(2)} ms / lifecycle`);
  console.log(`ratio driver/shell ${(driver / shell).toFixed(3)} (overhead ${((driver / shell - 1) * 100).toFixed(1)}%, goal <= 15%)`);
} finally {
  for (const c of await runc.list().catch(() => [])) await runc.delete(c.id, { force: true }).catch(() => undefined);
  await runc.close();
  await rm(root, { recursive: true, force: true });
  await rm(dir, { recursive: true, force: true });
  for (const c of ['memory', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'blkio', 'pids', 'systemd', 'unified', 'hugetlb', 'net_cls', 'perf_event']) {
    await rmdir(join('/sys/fs/cgroup', c, cgroupParent)).catch(() => undefined);
  }
}

import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createBusyboxRootfs } from '@shimkit/test-bed';
const dir = '/tmp/exp/sub/b';
const root = `/run/exp-sub-${process.pid}`;
const cg = `exp-sub-${process.pid}`;
await rm(dir, { recursive: true, force: true });
await createBusyboxRootfs(join(dir, 'rootfs'));
execFileSync('runc', ['spec', '--bundle', dir]);
const spec = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
spec.process.terminal = false; spec.process.args = ['sleep', '60'];
spec.root = { path: join(dir, 'rootfs'), readonly: true }; spec.linux.cgroupsPath = `/${cg}/x`;
await writeFile(join(dir, 'config.json'), JSON.stringify(spec));
try {
  const out = execFileSync('/tmp/exp/sub/run.sh', [dir, root, 'all', process.env.N ?? '15'], { encoding: 'utf8' });
  const by = {};
  for (const l of out.trim().split('\n')) { const [m, v] = l.split(' '); (by[m] ??= []).push(Number(v)); }
  for (const [m, v] of Object.entries(by)) { v.sort((a, b) => a - b); console.log(m, v[v.length >> 1].toFixed(2)); }
} finally {
  for (const id of execFileSync('runc', ['--root', root, 'list', '-q'], { encoding: 'utf8' }).split('\n').filter(Boolean)) execFileSync('runc', ['--root', root, 'delete', '--force', id]);
  await rm(root, { recursive: true, force: true });
  for (const c of ['memory', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'blkio', 'pids', 'systemd', 'unified', 'hugetlb', 'net_cls', 'perf_event', 'net_prio', 'rdma', 'misc']) {
    await rmdir(join('/sys/fs/cgroup', c, cg, 'x')).catch(() => undefined); await rmdir(join('/sys/fs/cgroup', c, cg)).catch(() => undefined); }
}

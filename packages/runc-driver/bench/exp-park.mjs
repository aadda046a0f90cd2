import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createBusyboxRootfs } from '@shimkit/test-bed';
import { Runc } from '../dist/index.js';
import { readSyncMessage } from '../dist/conmon-sync.js';

const N = Number(process.env.N ?? 20);
const dir = await mkdtemp(join(tmpdir(), 'exp-park-'));
const root = join('/run', `exp-park-${process.pid}`);
const cg = `exp-park-${process.pid}`;
const runc = new Runc({ root });
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
try {
  const rootfs = join(dir, 'rootfs');
  await createBusyboxRootfs(rootfs);
  const bundle = join(dir, 'bundle');
  await mkdir(bundle);
  await runc.spec({ bundle });
  const spec = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8'));
  spec.process.terminal = false; spec.process.args = ['sleep', '60'];
  spec.root = { path: rootfs, readonly: true }; spec.linux.cgroupsPath = `/${cg}/x`;
  await writeFile(join(bundle, 'config.json'), JSON.stringify(spec));
  const exitDir = join(dir, 'exits'); await mkdir(exitDir);
  const sockDir = join(dir, 'socks'); await mkdir(sockDir);
  const wrap = process.env.WRAP ? process.env.WRAP.split(' ') : [];
  const run = async (id, delay) => {
    const persist = join(dir, id); await mkdir(persist);
    const args = ['--api-version', '1', '--cid', id, '--cuuid', id, '--name', id, '--runtime', process.env.RT ?? '/usr/sbin/runc', '--bundle', bundle,
      '--container-pidfile', join(persist, 'pid'), '--conmon-pidfile', join(persist, 'conmon.pid'), '--log-path', `k8s-file:${join(persist, 'log')}`,
      '--exit-dir', exitDir, '--socket-dir-path', sockDir, '--persist-dir', persist, `--runtime-arg=--root`, `--runtime-arg=${root}`, '--log-level', 'error'];
    const t0 = performance.now();
    const cmd = wrap.length ? wrap[0] : 'conmon';
    const child = spawn(cmd, [...wrap.slice(1), ...(wrap.length ? ['conmon'] : []), ...args], { cwd: persist, stdio: ['ignore', 'ignore', 'inherit', 'pipe', 'pipe'], env: { ...process.env, _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4' } });
    const tSpawned = performance.now();
    if (delay) await sleep(delay);
    const t1 = performance.now();
    child.stdio[4].end('0');
    const msg = await readSyncMessage(child.stdio[3]);
    const t2 = performance.now();
    child.stdio[3].destroy(); child.stdio[4].destroy();
    if (!msg || msg.data <= 0) throw new Error('failed ' + JSON.stringify(msg));
    const t3 = performance.now();
    await runc.start(id);
    const t4 = performance.now();
    await runc.kill(id, 'SIGKILL');
    await sleep(30);
    await runc.delete(id, { force: true });
    console.log('T', id, (performance.timeOrigin + t1) / 1000, (performance.timeOrigin + t2) / 1000);
    return { total: t2 - t0, afterWrite: t2 - t1, spawnBlock: tSpawned - t0, start: t4 - t3 };
  };
  const direct = async (id, extra = []) => {
    const persist = join(dir, id); await mkdir(persist);
    const t0 = performance.now();
    await new Promise((res, rej) => { const c = spawn('runc', ['--root', root, ...extra, 'create', '--bundle', bundle, '--pid-file', join(persist, 'pid'), id], { stdio: ['ignore', 'pipe', 'pipe'] }); c.stdout.resume(); c.stderr.resume(); c.once('exit', (code) => code === 0 ? res() : rej(new Error('runc ' + code))); });
    const t2 = performance.now();
    await runc.start(id);
    await runc.kill(id, 'SIGKILL'); await sleep(30); await runc.delete(id, { force: true });
    return { total: t2 - t0 };
  };
  const A = [], B = [], C = [], D = [];
  for (let i = 0; i < N; i++) { A.push(await run(`a${i}`, 0)); B.push(await run(`b${i}`, 150)); C.push(await direct(`c${i}`)); D.push(await direct(`d${i}`, ['--log', join(dir, 'rl'), '--log-format', 'json'])); }
  const show = (name, xs) => console.log(name, Object.keys(xs[0]).map((k) => `${k}=${median(xs.map((x) => x[k])).toFixed(2)}`).join(' '));
  show('immediate', A); show('parked   ', B); show('direct   ', C); show('directlog', D);
} finally {
  for (const c of await runc.list().catch(() => [])) await runc.delete(c.id, { force: true }).catch(() => undefined);
  await runc.close(); await rm(root, { recursive: true, force: true }); await rm(dir, { recursive: true, force: true });
  for (const c of ['memory', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'blkio', 'pids', 'systemd', 'unified', 'hugetlb', 'net_cls', 'perf_event', 'net_prio']) {
    await rmdir(join('/sys/fs/cgroup', c, cg, 'x')).catch(() => undefined); await rmdir(join('/sys/fs/cgroup', c, cg)).catch(() => undefined); }
}

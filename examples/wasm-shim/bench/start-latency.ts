// Benchmark (not a test): how long a container takes to start through one wasm-shim, a WASI module
// (runtime handler wasm) vs a busybox container on runc + conmon, alternating, same run, same CRI
// client. Prints medians and p90 of CreateContainer, StartContainer and both, and the wasm/runc ratio.
//   npm run bench            (needs a build: `npx turbo run build`)
//   BENCH_N=30 npm run bench
//   WASM_SHIM_WARM_RUNNERS=0 npm run bench     (each wasm start boots its runner)
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { connect, type ContainerConfig, type CriClient, type DeepPartial, type PodSandboxConfig } from '@shimkit/cri-types';
import { startRegistry } from '@shimkit/test-bed';
import { pushTestImages } from '@shimkit/test-images';
import { pushWasmTestImages } from '../src/wasm-workloads.test-helper.js';

const run = promisify(execFile);
const N = Number(process.env['BENCH_N'] ?? 30);
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const tag = `${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;
const dir = `/tmp/wasm-bench-${tag}`;
const bridge = `wbn${tag}`.slice(0, 15);
const subnet = `10.${randomInt(200, 250)}.${randomInt(0, 256)}.0/24`;
const cgroupParent = `/wasm-bench-${tag}`;
const socket = join(dir, 'cri.sock');

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const p90 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.9))] ?? NaN;
const ms = (x: number): string => `${x.toFixed(1)} ms`;

async function startShim(): Promise<ChildProcess> {
  const child = spawn(process.execPath, [MAIN, socket, join(dir, 'root'), join(dir, 'state')], { env: { ...process.env, CNI_CONF_DIR: join(dir, 'cni') }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 30_000;
  while (!stderr.includes('shim listening')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`wasm-shim did not start:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return child;
}

async function main(): Promise<void> {
  const registry = await startRegistry();
  let shim: ChildProcess | undefined;
  let cri: CriClient | undefined;
  try {
    const busybox = (await pushTestImages(registry)).busybox.reference;
    const wasm = await pushWasmTestImages(registry.host);
    await mkdir(join(dir, 'cni'), { recursive: true });
    const plugin = { type: 'bridge', bridge, isGateway: false, ipMasq: false, ipam: { type: 'host-local', ranges: [[{ subnet }]], dataDir: join(dir, 'ipam') } };
    await writeFile(join(dir, 'cni', '10-bench.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: `wasm-bench-${tag}`, plugins: [plugin] }));
    shim = await startShim();
    cri = await connect(`unix://${socket}`, { defaultTimeoutMs: 60_000 });
    for (const image of [busybox, wasm.modules]) await cri.image.pullImage({ image: { image } });

    const pod = (name: string): DeepPartial<PodSandboxConfig> => ({ metadata: { name, namespace: 'bench', uid: `${name}-${tag}`, attempt: 0 }, logDirectory: join(dir, 'logs', name), linux: { cgroupParent } });
    const wasmPod = pod('wasm');
    const runcPod = pod('runc');
    const wasmId = (await cri.runtime.runPodSandbox({ config: wasmPod, runtimeHandler: 'wasm' })).podSandboxId;
    const runcId = (await cri.runtime.runPodSandbox({ config: runcPod })).podSandboxId;
    const kinds = {
      wasm: { podSandboxId: wasmId, sandboxConfig: wasmPod, config: (i: number): DeepPartial<ContainerConfig> => ({ metadata: { name: `c${i}` }, image: { image: wasm.modules }, command: ['/loop.wasm'], logPath: `c${i}.log` }) },
      runc: { podSandboxId: runcId, sandboxConfig: runcPod, config: (i: number): DeepPartial<ContainerConfig> => ({ metadata: { name: `c${i}` }, image: { image: busybox }, command: ['sleep', '3600'], logPath: `c${i}.log` }) },
    };
    const times = { wasm: { create: [] as number[], start: [] as number[] }, runc: { create: [] as number[], start: [] as number[] } };
    // one unmeasured round of each warms the image snapshots and the shim's code paths
    for (let i = -1; i < N; i++) {
      for (const kind of i % 2 === 0 ? (['wasm', 'runc'] as const) : (['runc', 'wasm'] as const)) {
        const k = kinds[kind];
        const t0 = performance.now();
        const { containerId } = await cri.runtime.createContainer({ podSandboxId: k.podSandboxId, sandboxConfig: k.sandboxConfig, config: k.config(i + 1) });
        const t1 = performance.now();
        await cri.runtime.startContainer({ containerId });
        const t2 = performance.now();
        await cri.runtime.stopContainer({ containerId, timeout: 0n });
        await cri.runtime.removeContainer({ containerId });
        if (i < 0) continue;
        times[kind].create.push(t1 - t0);
        times[kind].start.push(t2 - t1);
      }
    }
    for (const id of [wasmId, runcId]) {
      await cri.runtime.stopPodSandbox({ podSandboxId: id });
      await cri.runtime.removePodSandbox({ podSandboxId: id });
    }

    const both = (k: 'wasm' | 'runc'): number[] => times[k].create.map((c, i) => c + (times[k].start[i] ?? 0));
    const rows: Array<[string, number[], number[]]> = [
      ['CreateContainer', times.wasm.create, times.runc.create],
      ['StartContainer', times.wasm.start, times.runc.start],
      ['Create + Start', both('wasm'), both('runc')],
    ];
    console.log(`wasm-shim start latency, ${N} containers each (alternating), load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    console.log(`  wasm: /loop.wasm (WASI, node:wasi runner, WASM_SHIM_WARM_RUNNERS=${process.env['WASM_SHIM_WARM_RUNNERS'] ?? '2, the default'})   runc: busybox sleep (runc + conmon)`);
    console.log(`${'RPC'.padEnd(18)}${'wasm median'.padStart(14)}${'wasm p90'.padStart(12)}${'runc median'.padStart(14)}${'runc p90'.padStart(12)}${'wasm/runc'.padStart(11)}`);
    for (const [name, w, r] of rows) {
      console.log(`${name.padEnd(18)}${ms(median(w)).padStart(14)}${ms(p90(w)).padStart(12)}${ms(median(r)).padStart(14)}${ms(p90(r)).padStart(12)}${`${(median(w) / median(r)).toFixed(2)}x`.padStart(11)}`);
    }
  } finally {
    await cri?.close();
    if (shim && shim.exitCode === null) {
      const exited = new Promise((r) => shim!.once('exit', r));
      shim.kill('SIGTERM');
      await exited;
    }
    const mounts = (await import('node:fs/promises').then((fs) => fs.readFile('/proc/self/mountinfo', 'utf8'))).split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(`${dir}/`));
    for (const m of mounts.reverse()) await run('umount', ['-l', m]).catch(() => undefined);
    await run('ip', ['link', 'del', bridge]).catch(() => undefined);
    for (const controller of await readdir('/sys/fs/cgroup')) await rmdir(join('/sys/fs/cgroup', controller, cgroupParent)).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    await registry.close();
  }
}

await main();

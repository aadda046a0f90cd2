// shimkit's CRI conformance suite against a `wasm-shim` started here (its own process, socket,
// CNI bridge and /24, cgroup parent, local registry): once on the `wasm` handler with the modules
// image, once on the default handler (runc) with busybox, both in the same shim. Nothing may be
// left after.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRegistry, type Registry } from '@shimkit/test-bed';
import { pushTestImages, type TestImages } from '@shimkit/test-images';
import { runCriConformance, type CriWorkloads } from 'shimkit/conformance';
import { afterAll, beforeAll, expect, vi } from 'vitest';
import { sweepShimHost } from './wasm-shim-host.test-helper.js';
import { pushWasmTestImages, type WasmTestImages } from './wasm-workloads.test-helper.js';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const tag = `${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;
const dir = `/tmp/wasmconf-cri-${tag}`;
const bridge = `wcc${tag}`.slice(0, 15);
const prefix = `10.${randomInt(200, 250)}.${randomInt(0, 256)}.`;
const cgroupParent = `/wasmconf-cri-${tag}`;
const socket = join(dir, 'cri.sock');

let registry: Registry | undefined;
let images: TestImages;
let wasm: WasmTestImages;
let shim: ChildProcess | undefined;
let output = '';

/** The suite's workloads as modules of the image (see workloads/exit-with.wat). */
const WASM_WORKLOADS: CriWorkloads = {
  sleep: ['/exit-with.wasm', '0', '3600000'],
  exit: (code) => ['/exit-with.wasm', String(code), '0'],
  logs: ['/exit-with.wasm', '0', '0', '1', 'first out', '2', 'an err', '1-', 'unterminated'],
  spin: ['/loop.wasm'],
  // grow.wasm grows to 256 MiB; the runner itself (a Node process) needs about 40 MiB of this
  oom: { command: ['/grow.wasm'], memoryLimitBytes: 64 * 1024 * 1024 },
  // WASI preview 1 has no signals: SIGTERM ends a module's runner
  trapTerm: null,
  ignoreTerm: null,
};

beforeAll(async () => {
  registry = await startRegistry();
  images = await pushTestImages(registry);
  wasm = await pushWasmTestImages(registry.host);
  await mkdir(join(dir, 'cni'), { recursive: true });
  const bridgePlugin = { type: 'bridge', bridge, isGateway: false, ipMasq: false, ipam: { type: 'host-local', ranges: [[{ subnet: `${prefix}0/24` }]], dataDir: join(dir, 'ipam') } };
  await writeFile(join(dir, 'cni', '10-pods.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: `wasmconf-${tag}`, plugins: [bridgePlugin] }));
  // tsx runs the TypeScript source as is
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, socket, join(dir, 'root'), join(dir, 'state')], {
    env: { ...process.env, CNI_CONF_DIR: join(dir, 'cni') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  shim = child;
  for (const stream of [child.stdout, child.stderr]) stream?.on('data', (d: Buffer) => (output += d.toString()));
  await vi.waitFor(() => expect(output).toContain('shim listening'), { timeout: 30_000, interval: 50 });
}, 180_000);

afterAll(async () => {
  const child = shim;
  if (child !== undefined && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  const left = await sweepShimHost({ dir, bridge, cgroupParent, shimPid: shim?.pid });
  await registry?.close();
  expect({ ...left, pids: [] }).toEqual({ containers: [], processes: [], mounts: [], cgroups: [], pids: [] });
}, 60_000);

runCriConformance({
  name: 'wasm-shim',
  runtimeHandler: 'wasm',
  endpoint: () => `unix://${socket}`,
  image: () => wasm.modules,
  pod: () => ({ linux: { cgroupParent } }),
  workloads: WASM_WORKLOADS,
  abilities: { exec: false, portForward: false, stdin: false },
});

runCriConformance({
  name: 'wasm-shim',
  endpoint: () => `unix://${socket}`,
  image: () => images.busybox.reference,
  pod: () => ({ linux: { cgroupParent } }),
});

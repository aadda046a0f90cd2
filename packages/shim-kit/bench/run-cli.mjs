// Benchmark (not a test): `shimkit run --rm IMAGE echo hi` against `podman --runtime runc run
// --rm IMAGE echo hi` (Debian's podman 4.3), each from a cold CLI process, with no network
// (`--network none`) and on a bridge network with its own bridge and subnet (CNI bridge +
// portmap for shimkit, netavark for podman; both masquerade). The image is pulled into both
// stores first; the tools alternate and the order rotates every round. shimkit runs as its bin
// runs it, from the CLI's startup snapshot, and without it (SHIMKIT_NO_SNAPSHOT=1) beside.
// Medians of wall time and of the CPU time the whole run costs (cgroup v1 cpuacct: a cgroup
// holding the command and all it starts, plus the containers' cgroup parent, where podman puts
// conmon), and the ratios (the goal: shimkit at most 0.8x podman).
//   npm run bench    or    BENCH_RUN_ROUNDS=15 [BENCH_RUN_BASE=other/dist/cli/main.js] node bench/run-cli.mjs
import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { commandCgroup, cpuNs } from './cpuacct.mjs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pushTestImages, startRegistry } from '@shimkit/test-bed';
import { mountsUnder, processesNaming } from './host.mjs';
import { median, table } from './stats.mjs';

const ROUNDS = Number(process.env.BENCH_RUN_ROUNDS ?? 9);
if (!(ROUNDS >= 1 && ROUNDS <= 50)) throw new Error(`BENCH_RUN_ROUNDS must be 1..50, not ${process.env.BENCH_RUN_ROUNDS}`);
const exec = promisify(execFile);
const bin = fileURLToPath(new URL('../bin/shimkit', import.meta.url));
// another build's dist/cli/main.js to compare with in the same run (a copy of main's, say)
const BASE = process.env.BENCH_RUN_BASE;
const TIMEOUT_MS = 60_000;

const tag = randomBytes(3).toString('hex');
const work = await mkdtemp(`/tmp/run-bench-${tag}-`);
const shimkitBridge = `runs${tag}`;
const podmanBridge = `runp${tag}`;
const shimkit = ['--root', join(work, 'shimkit', 'root'), '--runroot', join(work, 'shimkit', 'run'), '--cgroup-parent', `/shimkit-run-bench-${tag}`];
const podmanGlobal = ['--runtime', 'runc', '--root', join(work, 'podman', 'root'), '--runroot', join(work, 'podman', 'run'), '--cgroup-manager', 'cgroupfs'];
const podmanEnv = { ...process.env, CONTAINERS_CONF: join(work, 'podman', 'containers.conf') };

async function setUpNetworks() {
  const cniDir = join(work, 'shimkit', 'root', 'engine', 'cni');
  await mkdir(cniDir, { recursive: true });
  const { bridgeConflist } = await import('../dist/engine/default-network.js');
  await writeFile(join(cniDir, '10-bench.conflist'), JSON.stringify(bridgeConflist({ name: `run-bench-${tag}`, bridge: shimkitBridge, subnet: `10.254.${randomInt(0, 256)}.0/24`, ipMasq: true })));
  const networks = join(work, 'podman', 'networks');
  await mkdir(networks, { recursive: true });
  // the host's NOFILE hard limit is below podman's default ulimit
  await writeFile(podmanEnv.CONTAINERS_CONF, `[containers]\ndefault_ulimits = []\n\n[network]\nnetwork_config_dir = "${networks}"\n`);
  const subnet = `10.253.${randomInt(0, 256)}`;
  await writeFile(join(networks, `${podmanBridge}.json`), JSON.stringify({
    name: podmanBridge, id: randomBytes(32).toString('hex'), driver: 'bridge', network_interface: podmanBridge, created: new Date().toISOString(),
    subnets: [{ subnet: `${subnet}.0/24`, gateway: `${subnet}.1` }], ipv6_enabled: false, internal: false, dns_enabled: false, ipam_options: { driver: 'host-local' },
  }));
}

const containersCgroup = (tool) => `/${tool === 'podman' ? 'podman' : 'shimkit'}-run-bench-${tag}`;
const commands = await commandCgroup(`run-bench-${tag}`);
const inCgroup = (file, args, options) => commands.run(file, args, { timeout: TIMEOUT_MS, ...options });

const shimkitRun = (network, image, env) =>
  inCgroup(bin, [...shimkit, 'run', '--rm', ...(network === 'none' ? ['--network', 'none'] : []), image, 'echo', 'hi'], { env: { ...process.env, ...env } });
const TOOLS = {
  shimkit: (network, image) => shimkitRun(network, image, {}),
  'shimkit, no snapshot': (network, image) => shimkitRun(network, image, { SHIMKIT_NO_SNAPSHOT: '1' }),
  ...(BASE === undefined ? {} : { 'shimkit base': (network, image) => inCgroup(process.execPath, [BASE, ...shimkit, 'run', '--rm', ...(network === 'none' ? ['--network', 'none'] : []), image, 'echo', 'hi']) }),
  podman: (network, image) =>
    inCgroup('podman', [...podmanGlobal, 'run', '--rm', '--cgroup-parent', containersCgroup('podman'), '--network', network === 'none' ? 'none' : podmanBridge, image, 'echo', 'hi'], { env: podmanEnv }),
};
const NAMES = Object.keys(TOOLS);

/** Wall seconds and CPU milliseconds of one run. */
async function measure(tool, network, image) {
  const parent = containersCgroup(tool);
  const before = (await cpuNs(commands.name)) + (await cpuNs(parent));
  const t0 = performance.now();
  const { stdout } = await TOOLS[tool](network, image);
  const wall = (performance.now() - t0) / 1000;
  if (stdout !== 'hi\n') throw new Error(`${tool} printed ${JSON.stringify(stdout)}`);
  return { wall, cpuMs: ((await cpuNs(commands.name)) + (await cpuNs(parent)) - before) / 1e6 };
}

const registry = await startRegistry();
try {
  const images = await pushTestImages(registry);
  const image = images.busybox.reference;
  await setUpNetworks();
  await exec(bin, [...shimkit, 'pull', '-q', image], { timeout: TIMEOUT_MS });
  await exec('podman', [...podmanGlobal, 'pull', '-q', '--tls-verify=false', image], { timeout: TIMEOUT_MS, env: podmanEnv });
  const runs = {};
  const loads = [];
  for (const network of ['none', 'bridge']) {
    // one unmeasured run each: first-use work (the bridge, page cache)
    for (const tool of NAMES) await TOOLS[tool](network, image);
    for (let round = 0; round < ROUNDS; round++) {
      loads.push(Number((await readFile('/proc/loadavg', 'utf8')).split(' ')[0]));
      const order = NAMES.map((_, i) => NAMES[(i + round) % NAMES.length]);
      for (const tool of order) ((runs[network] ??= {})[tool] ??= []).push(await measure(tool, network, image));
    }
    console.log(`--network ${network}: ${ROUNDS} rounds done`);
  }
  const rows = [['run --rm IMAGE echo hi', 'tool', 'wall s', 'ratio', 'CPU ms', 'ratio']];
  for (const [network, byTool] of Object.entries(runs)) {
    const wall = (tool) => median(byTool[tool].map((r) => r.wall));
    const cpu = (tool) => median(byTool[tool].map((r) => r.cpuMs));
    for (const tool of NAMES) rows.push([`--network ${network}`, tool, wall(tool).toFixed(3), (wall(tool) / wall('podman')).toFixed(2), cpu(tool).toFixed(0), (cpu(tool) / cpu('podman')).toFixed(2)]);
  }
  console.log(`\nrun from a cold CLI process, medians of ${ROUNDS}, load average ${Math.min(...loads)}-${Math.max(...loads)} (ratio: to podman, lower is better; goal <= 0.80)\n`);
  console.log(table(rows));
} finally {
  await registry.close();
  await exec('podman', [...podmanGlobal, 'system', 'reset', '-f'], { env: podmanEnv, timeout: TIMEOUT_MS }).catch(() => undefined);
  for (const bridge of [shimkitBridge, podmanBridge]) await exec('ip', ['link', 'del', bridge]).catch(() => undefined);
  const left = { processes: await processesNaming(work), mounts: await mountsUnder(work) };
  if (left.processes.length + left.mounts.length > 0) console.error('left behind:', JSON.stringify(left));
  else await rm(work, { recursive: true, force: true });
  // the containers' cgroup parents, in every hierarchy runc made them in (podman's holds conmon's)
  for (const controller of await readdir('/sys/fs/cgroup').catch(() => [])) {
    for (const tool of ['shimkit', 'podman']) {
      const parent = `/sys/fs/cgroup/${controller}${containersCgroup(tool)}`;
      for (const child of await readdir(parent, { withFileTypes: true }).catch(() => [])) if (child.isDirectory()) await rmdir(join(parent, child.name)).catch(() => undefined);
      await rmdir(parent).catch(() => undefined);
    }
  }
  await commands.remove();
}

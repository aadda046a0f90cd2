// Benchmark (not a test): CRI calls on a socket shimkit serve binds itself (grpc-js's own
// listener) vs on a socket systemd passes it (socket activation: a Node listener on fd 3 handing
// connections to grpc-js's connection injector), and containerd's CRI for reference. Same
// machine, same run, same client; rounds alternate; medians and p90 of sequential Version and
// ListContainers calls, and the time of a burst of concurrent Version calls.
//   node bench/socket-activation.mjs        (needs a build)
//   BENCH_CALLS=2000 BENCH_ROUNDS=5 node bench/socket-activation.mjs
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { connect } from '@shimkit/cri-types';
import { startContainerd, startRegistry } from '@shimkit/test-bed';
import { pushTestImages } from '@shimkit/test-images';
import { startShim, stopShim } from './shim-process.mjs';
import { median, p90, table } from './stats.mjs';

const ms = (x) => x.toFixed(2);

const CALLS = Number(process.env.BENCH_CALLS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const BURST = 200;
const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

async function activated({ socket, root, state, config }) {
  const child = spawn('systemd-socket-activate', ['-l', socket, process.execPath, CLI, 'serve', '--socket', socket, '--root', root, '--state', state, '--config', config, '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => (log += d));
  for (let i = 0; i < 200 && !log.includes('Listening on'); i++) await new Promise((r) => setTimeout(r, 25));
  // the first connection starts serve; this waits for it to answer
  const probe = await connect(`unix://${socket}`, { defaultTimeoutMs: 30_000 });
  await probe.runtime.version({});
  await probe.close();
  return child;
}

/** Per-call milliseconds of `n` sequential calls, and the milliseconds of BURST concurrent Version calls. */
async function measure(client, n) {
  const version = [];
  const list = [];
  for (let i = 0; i < n; i++) {
    let t = performance.now();
    await client.runtime.version({});
    version.push(performance.now() - t);
    t = performance.now();
    await client.runtime.listContainers({});
    list.push(performance.now() - t);
  }
  const t = performance.now();
  await Promise.all(Array.from({ length: BURST }, () => client.runtime.version({})));
  return { version, list, burst: performance.now() - t };
}

const dir = await mkdtemp(join(tmpdir(), 'shimkit-bench-activation-'));
const config = join(dir, 'shimkit.json');
await writeFile(config, JSON.stringify({ network: { confDir: join(dir, 'no-cni') }, images: { registriesConf: false, certsDir: false } }));
const side = (name) => ({ socket: join(dir, `${name}.sock`), root: join(dir, name, 'root'), state: join(dir, name, 'state'), config });
const bound = side('bound');
const passed = side('activated');
let boundChild;
let activatedChild;
let containerd;
let registry;
try {
  boundChild = await startShim(bound);
  activatedChild = await activated(passed);
  registry = await startRegistry();
  const images = await pushTestImages(registry);
  containerd = await startContainerd({ registry, pauseImage: images.pause.reference });
  const targets = [
    ['shimkit, socket bound by serve', `unix://${bound.socket}`],
    ['shimkit, socket from systemd', `unix://${passed.socket}`],
    ['containerd 1.6 CRI', containerd.endpoint],
  ];
  const results = new Map(targets.map(([name]) => [name, { version: [], list: [], burst: [] }]));
  const clients = await Promise.all(targets.map(([, endpoint]) => connect(endpoint, { defaultTimeoutMs: 30_000 })));
  for (const c of clients) await measure(c, 50); // warm up
  for (let round = 0; round < ROUNDS; round++) {
    // alternate the order from round to round
    const order = round % 2 === 0 ? [0, 1, 2] : [2, 1, 0];
    for (const i of order) {
      const r = await measure(clients[i], CALLS);
      const acc = results.get(targets[i][0]);
      acc.version.push(...r.version);
      acc.list.push(...r.list);
      acc.burst.push(r.burst);
    }
  }
  await Promise.all(clients.map((c) => c.close()));
  const base = results.get(targets[0][0]);
  const rows = [['endpoint', 'Version p50', 'p90', 'ListContainers p50', 'p90', `${BURST} concurrent Version`, 'Version p50 vs bound']];
  for (const [name] of targets) {
    const r = results.get(name);
    rows.push([name, ms(median(r.version)), ms(p90(r.version)), ms(median(r.list)), ms(p90(r.list)), ms(median(r.burst)), `${(median(r.version) / median(base.version)).toFixed(2)}x`]);
  }
  console.log(`${ROUNDS} rounds x ${CALLS} calls each, alternating; milliseconds`);
  console.log(table(rows));
} finally {
  await stopShim(boundChild);
  await stopShim(activatedChild);
  await containerd?.close();
  await registry?.close();
  await rm(dir, { recursive: true, force: true });
}

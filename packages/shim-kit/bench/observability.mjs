// Benchmark (not a test): what observability costs `shimkit serve`. Each round starts every
// variant's CLI as a child process (default modules; the start order flips every round) and
// measures: the time from spawn to the socket answering, the resident memory after 2 s idle
// (VmRSS), then 300 times a Version and a failing ContainerStatus (NotFound) call on each
// variant in turn (the median per call), and VmRSS after them. Variants: `off` (the default),
// `metrics` (--metrics-address), `metrics+tracing` (--tracing-endpoint at an OTLP sink in this
// process that accepts every export). Medians over rounds, ratios against `off`.
// `SHIMKIT_BENCH_BASE_CLI=/path/to/dist/cli/main.js` adds that build as variant `base` (the
// same flags as `off`), to compare before and after a change.
//   node bench/observability.mjs    or    BENCH_OBSERVE_ROUNDS=9 node bench/observability.mjs
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { connect } from '@shimkit/cri-types';
import { median, ms, table } from './stats.mjs';

const ROUNDS = Number(process.env.BENCH_OBSERVE_ROUNDS ?? 5);
if (!(ROUNDS >= 1 && ROUNDS <= 30)) throw new Error(`BENCH_OBSERVE_ROUNDS must be 1..30, not ${process.env.BENCH_OBSERVE_ROUNDS}`);
const CALLS = 300;
const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const work = await mkdtemp('/tmp/observe-bench-');

// An OTLP trace sink: answers Export with an empty ExportTraceServiceResponse, reading nothing.
async function startSink() {
  const server = new Server();
  const raw = { requestStream: false, responseStream: false, requestSerialize: (b) => b, requestDeserialize: (b) => b, responseSerialize: () => Buffer.alloc(0), responseDeserialize: (b) => b };
  let exports = 0;
  server.addService({ Export: { ...raw, path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export' } }, { Export: (_call, done) => void (exports++, done(null, {})) });
  const port = await new Promise((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return { endpoint: `127.0.0.1:${port}`, exports: () => exports, close: () => new Promise((r) => server.tryShutdown(r)) };
}

async function rssKiB(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]);
}

// Starts one variant's `shimkit serve` and waits until its socket answers.
async function start(name, script, extra) {
  const dir = await mkdtemp(join(work, `${name.replace('+', '-')}-`));
  const socket = join(dir, 'cri.sock');
  const config = join(dir, 'config.json');
  await writeFile(config, JSON.stringify({ network: { confDir: join(dir, 'no-cni') } }));
  const started = performance.now();
  const child = spawn(process.execPath, [script, 'serve', '--socket', socket, '--root', join(dir, 'root'), '--state', join(dir, 'state'), '--config', config, '--log-level', 'warn', ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
  const shim = { name, dir, child, cri: undefined, startMs: Number.NaN };
  for (const deadline = performance.now() + 30_000; shim.cri === undefined; ) {
    if (child.exitCode !== null || performance.now() > deadline) {
      await stop(shim);
      throw new Error(`${name}: shimkit serve did not answer: ${stderr}`);
    }
    shim.cri = await connect(`unix://${socket}`).catch(() => undefined);
    if (shim.cri === undefined) await new Promise((r) => setTimeout(r, 10));
  }
  shim.startMs = performance.now() - started;
  return shim;
}

async function stop(shim) {
  await shim.cri?.close();
  if (shim.child.exitCode === null) {
    const exited = new Promise((r) => shim.child.once('exit', r));
    shim.child.kill('SIGTERM');
    const late = setTimeout(() => shim.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(late);
  }
  await rm(shim.dir, { recursive: true, force: true });
}

// One Version and one failing ContainerStatus (NotFound), in microseconds per call.
async function timedCalls(cri) {
  const t = performance.now();
  await cri.runtime.version({});
  await cri.runtime.containerStatus({ containerId: 'missing' }).catch(() => undefined);
  return ((performance.now() - t) / 2) * 1000;
}

// All variants run at once; calls go to each in turn, so a burst of load elsewhere hits them alike.
async function round(variants, flip) {
  const names = flip ? Object.keys(variants).reverse() : Object.keys(variants);
  const shims = [];
  try {
    for (const name of names) shims.push(await start(name, ...variants[name]));
    await new Promise((r) => setTimeout(r, 2000));
    const results = {};
    for (const shim of shims) results[shim.name] = { startMs: shim.startMs, idleKiB: await rssKiB(shim.child.pid), callsUs: [] };
    for (let i = 0; i < CALLS; i++) {
      for (let k = 0; k < shims.length; k++) {
        const shim = shims[(i + k) % shims.length];
        results[shim.name].callsUs.push(await timedCalls(shim.cri));
      }
    }
    for (const shim of shims) Object.assign(results[shim.name], { perCallUs: median(results[shim.name].callsUs), afterKiB: await rssKiB(shim.child.pid) });
    return results;
  } finally {
    for (const shim of shims) await stop(shim);
  }
}

const sink = await startSink();
try {
  const variants = {
    off: [cli, []],
    metrics: [cli, ['--metrics-address', '127.0.0.1:0']],
    'metrics+tracing': [cli, ['--metrics-address', '127.0.0.1:0', '--tracing-endpoint', sink.endpoint]],
    ...(process.env.SHIMKIT_BENCH_BASE_CLI ? { base: [process.env.SHIMKIT_BENCH_BASE_CLI, []] } : {}),
  };
  const results = Object.fromEntries(Object.keys(variants).map((n) => [n, []]));
  for (let r = 0; r < ROUNDS; r++) {
    const one = await round(variants, r % 2 === 1);
    for (const name of Object.keys(variants)) results[name].push(one[name]);
  }
  const med = (name, key) => median(results[name].map((r) => r[key]));
  const rows = [['variant', 'start ms', 'x off', 'idle RSS MiB', 'x off', 'per call µs', 'x off', `RSS after ${2 * CALLS} calls MiB`]];
  for (const name of Object.keys(variants)) {
    rows.push([
      name,
      ms(med(name, 'startMs')),
      (med(name, 'startMs') / med('off', 'startMs')).toFixed(2),
      (med(name, 'idleKiB') / 1024).toFixed(1),
      (med(name, 'idleKiB') / med('off', 'idleKiB')).toFixed(2),
      ms(med(name, 'perCallUs')),
      (med(name, 'perCallUs') / med('off', 'perCallUs')).toFixed(2),
      (med(name, 'afterKiB') / 1024).toFixed(1),
    ]);
  }
  console.log(`observability cost, ${ROUNDS} rounds, medians (${sink.exports()} OTLP exports received)\n${table(rows)}`);
} finally {
  await sink.close();
  await rm(work, { recursive: true, force: true });
}

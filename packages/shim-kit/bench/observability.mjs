// Benchmark (not a test): what observability costs `shimkit serve`. Each variant starts the CLI
// as a child process (default modules), and each round measures, per variant: the time from
// spawn to the socket answering, the resident memory after 2 s idle (VmRSS), and 300 sequential
// Version calls plus 300 failing ContainerStatus calls (NotFound). Variants: `off` (the default),
// `metrics` (--metrics-address, scraped once per round), `metrics+tracing` (--tracing-endpoint
// at an OTLP sink in this process that accepts every export). The variants alternate and the
// order flips every round; medians and ratios against `off`.
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

async function run(name, script, extra) {
  const dir = await mkdtemp(join(work, `${name.replace('+', '-')}-`));
  const socket = join(dir, 'cri.sock');
  const config = join(dir, 'config.json');
  await writeFile(config, JSON.stringify({ network: { confDir: join(dir, 'no-cni') } }));
  const started = performance.now();
  const child = spawn(process.execPath, [script, 'serve', '--socket', socket, '--root', join(dir, 'root'), '--state', join(dir, 'state'), '--config', config, '--log-level', 'warn', ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
  try {
    let cri;
    for (const deadline = performance.now() + 30_000; cri === undefined; ) {
      if (child.exitCode !== null || performance.now() > deadline) throw new Error(`${name}: shimkit serve did not answer: ${stderr}`);
      cri = await connect(`unix://${socket}`).catch(() => undefined);
      if (cri === undefined) await new Promise((r) => setTimeout(r, 10));
    }
    const startMs = performance.now() - started;
    await new Promise((r) => setTimeout(r, 2000));
    const idleKiB = await rssKiB(child.pid);
    const callsStarted = performance.now();
    for (let i = 0; i < CALLS; i++) {
      await cri.runtime.version({});
      await cri.runtime.containerStatus({ containerId: 'missing' }).catch(() => undefined);
    }
    const perCallUs = ((performance.now() - callsStarted) / (2 * CALLS)) * 1000;
    await cri.close();
    return { startMs, idleKiB, perCallUs, afterKiB: await rssKiB(child.pid) };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const late = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(late);
    await rm(dir, { recursive: true, force: true });
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
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? Object.keys(variants) : Object.keys(variants).reverse();
    for (const name of order) results[name].push(await run(name, ...variants[name]));
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

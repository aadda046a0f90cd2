// Benchmark (not a test): the decompression stage alone, gzip (Node's zlib) against each zstd
// decoder (libzstd in-process through zstd-napi, the zstd program through its pipes, and with
// BENCH_ZSTD_JS=1 fzstd), on the contents of the CRI pull bench's large image layers (as bytes,
// without tar headers), gzip at zlib's default level and zstd at level 3 as that bench pushes
// them. Input is fed in 64 KiB chunks, the event loop turning between chunks as with a socket.
// Per layer and for all four at once (a pull decodes its layers together): wall time, CPU of
// this process (all its threads: zlib runs on the libuv pool) and of its children (the zstd
// program), time to the first output byte, the longest event-loop delay, the number of output
// chunks (each is a call for the tar reader and writers downstream); decoders alternate,
// the order rotating each round; medians.
//   node bench/zstd-decode.mjs (after a build)    [BENCH_DECODE_ROUNDS=7] [BENCH_ZSTD_JS=1]
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setImmediate as turn } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { decompress } from '@shimkit/image-store';
import { logLines } from './pull-images.mjs';

const ROUNDS = Number(process.env.BENCH_DECODE_ROUNDS ?? 5);
if (!(ROUNDS >= 1 && ROUNDS <= 30)) throw new Error(`BENCH_DECODE_ROUNDS must be 1..30, not ${process.env.BENCH_DECODE_ROUNDS}`);
const MiB = 1 << 20;

const layers = {
  'random 8 MiB files': randomBytes(48 * MiB),
  'random 1 MiB files': randomBytes(40 * MiB),
  'random + base64': Buffer.concat([randomBytes(32 * MiB), Buffer.from(randomBytes(12 * MiB).toString('base64'))]),
  'logs + 4 KiB files': Buffer.concat([...[0, 1, 2, 3].map((i) => Buffer.from(logLines(10 * MiB, i))), randomBytes(8 * MiB)]),
};
const blobs = Object.fromEntries(Object.entries(layers).map(([name, plain]) => [name, {
  gzip: gzipSync(plain),
  zstd: execFileSync('zstd', ['-q', '-c', '-3'], { input: plain, maxBuffer: 1 << 30 }),
}]));

async function* feed(blob) {
  for (let i = 0; i < blob.length; i += 64 * 1024) {
    await turn();
    yield blob.subarray(i, i + 64 * 1024);
  }
}

const decoders = {
  gzip: (name) => decompress(feed(blobs[name].gzip), 'gzip'),
  'zstd native': (name) => decompress(feed(blobs[name].zstd), 'zstd', { zstd: 'native' }),
  'zstd program': (name) => decompress(feed(blobs[name].zstd), 'zstd', { zstd: 'program' }),
  ...(process.env.BENCH_ZSTD_JS === '1' ? { 'zstd fzstd': (name) => decompress(feed(blobs[name].zstd), 'zstd', { zstd: 'javascript' }) } : {}),
};

/** CPU seconds of this process's ended (waited-for) children. */
function childrenCpu() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

async function measure(decoder, names) {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const cpu0 = process.cpuUsage();
  const children0 = childrenCpu();
  const t0 = performance.now();
  let firstByte = 0;
  let chunks = 0;
  await Promise.all(names.map(async (name) => {
    let bytes = 0;
    for await (const chunk of decoders[decoder](name)) {
      if (bytes === 0) firstByte = Math.max(firstByte, performance.now() - t0);
      bytes += chunk.length;
      chunks++;
    }
    if (bytes !== layers[name].length) throw new Error(`${decoder} gave ${bytes} bytes of ${name}, not ${layers[name].length}`);
  }));
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  delay.disable();
  return { wall, cpu: (cpu.user + cpu.system) / 1000, children: (childrenCpu() - children0) * 1000, firstByte, delay: delay.max / 1e6, chunks };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const names = Object.keys(layers);
console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; ${ROUNDS} rounds, medians, ms`);
for (const set of [...names.map((n) => [n]), names]) {
  const results = {};
  const order = Object.keys(decoders);
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < order.length; i++) {
      const decoder = order[(i + round) % order.length];
      (results[decoder] ??= []).push(await measure(decoder, set));
    }
  }
  const [name] = set;
  const mib = (n) => (n / MiB).toFixed(1);
  console.log(set.length > 1 ? '\nall four at once' : `\n${name}: ${mib(layers[name].length)} MiB, gzip ${mib(blobs[name].gzip.length)}, zstd ${mib(blobs[name].zstd.length)}`);
  console.log('  decoder        wall  / gzip  CPU node  CPU children  first byte  max loop delay  output chunks');
  const gzipWall = median(results.gzip.map((r) => r.wall));
  for (const [decoder, rs] of Object.entries(results)) {
    const m = (key) => median(rs.map((r) => r[key]));
    console.log(`  ${decoder.padEnd(12)} ${m('wall').toFixed(0).padStart(6)} ${(m('wall') / gzipWall).toFixed(2).padStart(7)} ${m('cpu').toFixed(0).padStart(9)} ${m('children').toFixed(0).padStart(13)} ${m('firstByte').toFixed(1).padStart(11)} ${m('delay').toFixed(1).padStart(15)} ${String(m('chunks')).padStart(14)}`);
  }
}
console.log(`\nload average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);

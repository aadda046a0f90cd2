// Counts glibc's arenas (64 MiB-aligned heaps of 64 MiB) before and after four worker threads
// start at once (a thread's first malloc gives it an arena; any module will do for the workers,
// this package's built errors.js is plain JavaScript): prints "<before> <after>". With the
// argument "limit", caps the arenas at one first.
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { tuneMalloc } from './malloc-trim.js';

const ARENA = 64n * 1024n * 1024n;

function arenaCount(): number {
  const mappings = readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => /^[0-9a-f]+-[0-9a-f]+ [-rwxp]{4} 0+ 00:00 0\s*$/.test(l));
  const ranges = mappings.map((l) => l.split(' ')[0]!.split('-').map((h) => BigInt(`0x${h}`)) as [bigint, bigint]);
  // an arena: an aligned rw part followed by its reserved rest, together exactly 64 MiB
  return ranges.filter(([start, end], i) => start % ARENA === 0n && (end - start === ARENA || (ranges[i + 1]?.[0] === end && ranges[i + 1]![1] === start + ARENA))).length;
}

if (process.argv[2] === 'limit') tuneMalloc({ arenaMax: 1 });
const before = arenaCount();
const workers = [0, 1, 2, 3].map(() => new Worker(new URL('../dist/errors.js', import.meta.url), { execArgv: [] }));
await Promise.all(workers.map((w) => new Promise((resolve) => w.once('exit', resolve))));
console.log(`${before} ${arenaCount()}`);

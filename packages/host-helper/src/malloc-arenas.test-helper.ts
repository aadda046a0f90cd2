// Counts glibc's arenas (64 MiB-aligned heaps of 64 MiB) before and after four scrypt hashes
// on libuv's thread pool, each on a thread of its own: prints "<before> <after>". With the
// argument "limit", caps the arenas at one first.
import { scrypt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { limitMallocArenas } from './malloc-trim.js';

const ARENA = 64n * 1024n * 1024n;

function arenaCount(): number {
  const mappings = readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => /^[0-9a-f]+-[0-9a-f]+ [-rwxp]{4} 0+ 00:00 0\s*$/.test(l));
  const ranges = mappings.map((l) => l.split(' ')[0]!.split('-').map((h) => BigInt(`0x${h}`)) as [bigint, bigint]);
  // an arena: an aligned rw part followed by its reserved rest, together exactly 64 MiB
  return ranges.filter(([start, end], i) => start % ARENA === 0n && (end - start === ARENA || (ranges[i + 1]?.[0] === end && ranges[i + 1]![1] === start + ARENA))).length;
}

if (process.argv[2] === 'limit') limitMallocArenas(1);
const before = arenaCount();
const hash = (i: number) => new Promise((resolve, reject) => scrypt(`password ${i}`, 'salt', 32, { N: 16384, r: 8, p: 1 }, (e, key) => (e ? reject(e) : resolve(key))));
await Promise.all([0, 1, 2, 3].map(hash));
console.log(`${before} ${arenaCount()}`);

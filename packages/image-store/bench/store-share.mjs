/* global structuredClone */
// Costs of sharing a store root between processes, per operation, same run:
// - the store lock (proper-lockfile: mkdir, stat, rmdir) around an empty operation, against
//   two host-helper round trips (the least a flock(2) held by the helper costs: take and release);
// - an index refresh when nothing changed (one stat), and one after another process wrote;
// - list() of a 50-image index (what ListImages answers from).
// Run with `npm run bench:share` (after a build).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostHelper } from '@shimkit/host-helper';
import { ImageIndex } from '../dist/images/image-index.js';
import { StoreLock } from '../dist/images/store-lock.js';

const N = Number(process.env.BENCH_N ?? 2000);

async function time(label, n, op) {
  for (let i = 0; i < Math.min(50, n); i++) await op(i); // warm up
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await op(i);
  const us = Number(process.hrtime.bigint() - start) / 1000 / n;
  console.log(`${label.padEnd(58)} ${us.toFixed(2).padStart(9)} µs/op`);
  return us;
}

const dir = await mkdtemp(join(tmpdir(), 'shimkit-bench-share-'));
const helper = new HostHelper();
try {
  const lock = new StoreLock(dir);
  const lockUs = await time('store lock around an empty operation (proper-lockfile)', N, () => lock.run(async () => undefined));
  await writeFile(join(dir, 'probe'), '');
  const helperUs = await time('two host-helper round trips (floor of a helper flock)', N, async () => {
    await helper.listXattrs(join(dir, 'probe'));
    await helper.listXattrs(join(dir, 'probe'));
  });
  console.log(`ratio lock / helper-flock floor: ${(lockUs / helperUs).toFixed(2)}x`);

  const images = Array.from({ length: 50 }, (_, i) => ({
    id: `sha256:${i.toString(16).padStart(64, '0')}`,
    repoTags: [`example.com/app${i}:v1`],
    repoDigests: [`example.com/app${i}@sha256:${(i + 1000).toString(16).padStart(64, '0')}`],
    chainIds: [], layers: [], manifest: { digest: 'sha256:x', mediaType: 'x', size: 1 }, config: { Env: Array.from({ length: 10 }, (_, j) => `K${j}=v`) }, size: 1, createdAt: new Date().toISOString(),
  }));
  const writer = new ImageIndex(join(dir, 'images.json'));
  for (const r of images) writer.images.set(r.id, r);
  await writer.save();
  const reader = new ImageIndex(join(dir, 'images.json'));
  reader.refresh();
  await time('index refresh, unchanged (one stat)', N * 10, () => reader.refresh());
  await time('index write by another store + refresh (reread, 50 images)', Math.min(N, 500), async () => {
    await writer.save();
    reader.refresh();
  });
  await time('list(): structuredClone of 50 records after a refresh', N, () => {
    reader.refresh();
    return [...reader.images.values()].map((r) => structuredClone(r));
  });
  writer.close();
  reader.close();
} finally {
  await helper.close();
  await rm(dir, { recursive: true, force: true });
}

import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { expect, it } from 'vitest';
import { decompress } from './decompress.js';

const loaded = () => Object.keys(createRequire(import.meta.url).cache).filter((path) => path.includes('/zstd-napi/'));

async function drain(source: AsyncIterable<Buffer>): Promise<number> {
  let bytes = 0;
  for await (const chunk of source) bytes += chunk.length;
  return bytes;
}

async function* once(data: Buffer): AsyncGenerator<Buffer> {
  yield data;
}

it('loads zstd-napi at the first zstd stream, not with image-store or for gzip', async () => {
  const plain = Buffer.alloc(100_000, 'layer');
  expect(await drain(decompress(once(gzipSync(plain))))).toBe(plain.length);
  expect(loaded()).toEqual([]);
  expect(await drain(decompress(once(execFileSync('zstd', ['-q', '-c'], { input: plain }))))).toBe(plain.length);
  expect(loaded().some((path) => path.endsWith('.node'))).toBe(true);
});

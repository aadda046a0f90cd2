import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { isImageStoreError } from '../errors.js';
import { compressionOfMediaType, decompress, detectCompression } from './decompress.js';

async function* chunks(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function all(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts);
}

// Half random, half repetitive: exercises both literal and match paths of the decoders.
const plain = Buffer.concat([randomBytes(100_000), Buffer.alloc(200_000, 'abc')]);

describe('decompress', () => {
  it('inflates gzip, auto-detected, across tiny chunks', async () => {
    const gz = gzipSync(plain);
    expect(detectCompression(gz)).toBe('gzip');
    expect((await all(decompress(chunks(gz, 257)))).equals(plain)).toBe(true);
  });

  it.each(['native', 'program', 'javascript'] as const)('decodes zstd written by the zstd tool (%s decoder)', async (decoder) => {
    const zst = execFileSync('zstd', ['-q', '-c', '-3'], { input: plain, maxBuffer: 1 << 26 });
    expect(detectCompression(zst)).toBe('zstd');
    expect((await all(decompress(chunks(zst, 4096), 'auto', { zstd: decoder }))).equals(plain)).toBe(true);
    expect((await all(decompress(chunks(zst, 1000), 'zstd', { zstd: decoder }))).equals(plain)).toBe(true);
  });

  it.each(['native', 'program', 'javascript'] as const)('fails with DECOMPRESS_FAILED on truncated or damaged zstd (%s decoder)', async (decoder) => {
    const zst = execFileSync('zstd', ['-q', '-c', '--check'], { input: plain, maxBuffer: 1 << 26 });
    const decode = (data: Buffer) => all(decompress(chunks(data, 1000), 'zstd', { zstd: decoder }));
    await expect(decode(zst.subarray(0, zst.length - 100))).rejects.toSatisfy((e) => isImageStoreError(e, 'DECOMPRESS_FAILED'));
    const badZ = Buffer.from(zst);
    badZ.fill(0xff, 4, 12);
    await expect(decode(badZ)).rejects.toSatisfy((e) => isImageStoreError(e, 'DECOMPRESS_FAILED'));
  });

  it('decodes every frame of a multi-frame zstd stream natively, and output larger than one output chunk', async () => {
    const big = Buffer.alloc(3 << 20, 'log line\n');
    const frames = Buffer.concat([plain, big].map((part) => execFileSync('zstd', ['-q', '-c'], { input: part, maxBuffer: 1 << 26 })));
    expect((await all(decompress(chunks(frames, 65536), 'zstd', { zstd: 'native' }))).equals(Buffer.concat([plain, big]))).toBe(true);
  });

  it('names what is wrong in the native decoder\'s errors: a truncated frame, a bad checksum', async () => {
    const zst = execFileSync('zstd', ['-q', '-c', '--check'], { input: plain, maxBuffer: 1 << 26 });
    const decode = (data: Buffer) => all(decompress(chunks(data, 1000), 'zstd', { zstd: 'native' }));
    await expect(decode(zst.subarray(0, zst.length - 100))).rejects.toThrow(/^zstd: the stream ends inside a frame, after \d+ bytes of output \(truncated\)$/);
    const flipped = Buffer.from(zst);
    flipped[flipped.length - 1]! ^= 0xff;
    await expect(decode(flipped)).rejects.toThrow(/^zstd: .*checksum.* \(after \d+ bytes of output\)$/i);
  });

  it('names the zstd program and its complaint when it fails, and leaves no process behind', async () => {
    const zst = execFileSync('zstd', ['-q', '-c', '--check'], { input: plain, maxBuffer: 1 << 26 });
    const flipped = Buffer.from(zst);
    // The frame checksum (last 4 bytes): only the program checks it.
    flipped[flipped.length - 1]! ^= 0xff;
    await expect(all(decompress(chunks(flipped, 1000), 'zstd', { zstd: 'program' }))).rejects.toThrow(/zstd: \/\S*zstd exited with 1: .*checksum/i);
    expect(execFileSync('ps', ['-o', 'comm=', '--ppid', String(process.pid)], { encoding: 'utf8' })).not.toMatch(/zstd/);
  });

  it('stops the zstd program when the reader stops early', async () => {
    const zst = execFileSync('zstd', ['-q', '-c'], { input: Buffer.concat(Array.from({ length: 40 }, () => plain)), maxBuffer: 1 << 28 });
    for await (const chunk of decompress(chunks(zst, 1000), 'zstd', { zstd: 'program' })) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    await expect.poll(() => execFileSync('ps', ['-o', 'comm=', '--ppid', String(process.pid)], { encoding: 'utf8' }), { timeout: 2000 }).not.toMatch(/zstd/);
  });

  it('passes plain tar through', async () => {
    expect(detectCompression(Buffer.from('file.txt\0'))).toBe('none');
    expect((await all(decompress(chunks(plain, 65536)))).equals(plain)).toBe(true);
    expect((await all(decompress(chunks(Buffer.alloc(0), 1))))).toHaveLength(0);
  });

  it('maps layer media types to their compression', () => {
    expect(compressionOfMediaType('application/vnd.oci.image.layer.v1.tar+gzip')).toBe('gzip');
    expect(compressionOfMediaType('application/vnd.docker.image.rootfs.diff.tar.gzip')).toBe('gzip');
    expect(compressionOfMediaType('application/vnd.oci.image.layer.v1.tar+zstd')).toBe('zstd');
    expect(compressionOfMediaType('application/vnd.oci.image.layer.v1.tar')).toBe('none');
  });

  it('fails with DECOMPRESS_FAILED on corrupt or truncated input', async () => {
    const gz = gzipSync(plain);
    const bad = Buffer.from(gz);
    bad.fill(0x55, 100, 200);
    await expect(all(decompress(chunks(bad, 1000)))).rejects.toSatisfy((e) => isImageStoreError(e, 'DECOMPRESS_FAILED'));
    await expect(all(decompress(chunks(gz.subarray(0, gz.length - 50), 1000)))).rejects.toSatisfy((e) => isImageStoreError(e, 'DECOMPRESS_FAILED'));
  });

  it('reports a source error as it is', async () => {
    async function* failing(): AsyncGenerator<Buffer> {
      yield gzipSync(plain).subarray(0, 1000);
      throw new Error('connection reset');
    }
    await expect(all(decompress(failing()))).rejects.toThrow(/connection reset/);
  });
});

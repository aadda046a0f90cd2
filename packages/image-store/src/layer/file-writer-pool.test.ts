import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FileWriterPool, type SmallFileJob } from './file-writer-pool.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'writer-pool-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function job(name: string, text: string): SmallFileJob {
  return { path: join(dir, name), data: new Uint8Array(Buffer.from(text)), createMode: 0o640, mtime: 1_000_000 };
}

describe('FileWriterPool', () => {
  it('writes batches on its threads, ends them when idle and starts them again for the next batch', async () => {
    const pool = new FileWriterPool(2, 50);
    await Promise.all([pool.write([job('a', 'A'), job('b', 'B')]), pool.write([job('c', 'C')])]);
    expect(pool.threads).toBe(2);
    expect(await readFile(join(dir, 'b'), 'utf8')).toBe('B');
    const st = await stat(join(dir, 'a'));
    expect(st.mode & 0o777).toBe(0o640);
    expect(st.mtimeMs).toBe(1_000_000_000);

    await vi.waitFor(() => expect(pool.threads).toBe(0), { timeout: 2000, interval: 10 });
    await pool.write([job('d', 'D')]);
    expect(pool.threads).toBe(1);
    expect(await readFile(join(dir, 'd'), 'utf8')).toBe('D');
  });

  it('keeps batches of one directory on one thread while it has any of them', async () => {
    const pool = new FileWriterPool(2, 50);
    await Promise.all([pool.write([job('a', 'A')], dir), pool.write([job('b', 'B')], dir), pool.write([job('c', 'C')], dir)]);
    expect(pool.threads).toBe(1);
    await Promise.all([pool.write([job('d', 'D')], dir), pool.write([job('e', 'E')], join(dir, 'other'))]);
    expect(pool.threads).toBe(2);
    expect(await readFile(join(dir, 'e'), 'utf8')).toBe('E');
  });

  it('names the file it could not create, and its threads still end when idle', async () => {
    const pool = new FileWriterPool(1, 50);
    await pool.write([job('a', 'A')]);
    await expect(pool.write([job('missing/x', 'X')])).rejects.toMatchObject({ code: 'LAYER_APPLY_FAILED', message: expect.stringContaining(join(dir, 'missing/x')) });
    await expect(pool.write([job('a', 'again')])).rejects.toThrow(/EEXIST/);
    expect(pool.threads).toBe(1);
    await vi.waitFor(() => expect(pool.threads).toBe(0), { timeout: 2000, interval: 10 });
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { grpcProbe } from './grpc-probe.js';

const dir = await mkdtemp(join(tmpdir(), 'tb-probe-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('grpcProbe', () => {
  it('rejects when nothing listens', async () => {
    await expect(grpcProbe(join(dir, 'none.sock'), '/x.Y/Z', 1_000)).rejects.toThrow(/ENOENT/);
    await writeFile(join(dir, 'file'), '');
    await expect(grpcProbe(join(dir, 'file'), '/x.Y/Z', 1_000)).rejects.toThrow();
  });
});

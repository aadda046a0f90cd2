import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRuncError } from './runc-error.js';
import { readExitFile } from './exit-file.js';

describe('readExitFile', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'exit-file-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the code and the time', async () => {
    await writeFile(join(dir, 'a'), '137');
    const status = await readExitFile(join(dir, 'a'));
    expect(status?.exitCode).toBe(137);
    expect(Math.abs((status?.exitedAt.getTime() ?? 0) - Date.now())).toBeLessThan(10_000);
  });

  it('is undefined while the container runs', async () => {
    expect(await readExitFile(join(dir, 'none'))).toBeUndefined();
  });

  it('rejects garbage', async () => {
    await writeFile(join(dir, 'b'), 'x');
    const err = await readExitFile(join(dir, 'b')).catch((e: unknown) => e);
    expect(isRuncError(err, 'PARSE_ERROR')).toBe(true);
  });
});

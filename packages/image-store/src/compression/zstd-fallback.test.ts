import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type * as LoadOnUse from '../load-on-use.js';

// zstd-napi is an optional dependency, built from source when installed: here its require fails
// as it does on a host where it is not installed or did not build.
vi.mock('../load-on-use.js', async (importOriginal) => {
  const real = await importOriginal<typeof LoadOnUse>();
  return {
    loadOnUse: (name: string) => (name === 'zstd-napi/binding'
      ? () => {
          throw Object.assign(new Error(`Cannot find module '${name}'`), { code: 'MODULE_NOT_FOUND' });
        }
      : real.loadOnUse(name)),
  };
});

const plain = Buffer.concat([randomBytes(50_000), Buffer.alloc(100_000, 'xyz')]);
const zst = execFileSync('zstd', ['-q', '-c'], { input: plain });

async function* once(data: Buffer): AsyncGenerator<Buffer> {
  yield data;
}

async function decode(decoder?: 'native'): Promise<Buffer> {
  const { unzstd } = await import('./zstd.js');
  const parts: Buffer[] = [];
  for await (const chunk of unzstd(once(zst), decoder)) parts.push(chunk);
  return Buffer.concat(parts);
}

describe('zstd without zstd-napi', () => {
  const path = process.env.PATH;
  beforeEach(() => vi.resetModules());
  afterEach(() => {
    process.env.PATH = path;
  });

  it('decodes with the zstd program when it is on PATH', async () => {
    const { defaultZstdDecoder } = await import('./zstd.js');
    expect(defaultZstdDecoder()).toBe('program');
    expect((await decode()).equals(plain)).toBe(true);
  });

  it('decodes in JavaScript when the zstd program is not on PATH either', async () => {
    process.env.PATH = '/nonexistent';
    const { defaultZstdDecoder } = await import('./zstd.js');
    expect(defaultZstdDecoder()).toBe('javascript');
    expect((await decode()).equals(plain)).toBe(true);
  });

  it('names the missing package when the native decoder is asked for', async () => {
    await expect(decode('native')).rejects.toThrow("zstd: zstd-napi is not installed or did not build (Cannot find module 'zstd-napi/binding')");
  });
});

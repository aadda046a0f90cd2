import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { isHostHelperError } from './errors.js';
import { trimMallocHeap, tuneMalloc } from './malloc-trim.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Resident KiB of this process's C heap and anonymous mappings (where glibc's arenas live). */
function anonymousKiB(): number {
  return Number(/^Anonymous:\s+(\d+)/m.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'))?.[1]);
}

describe('trimMallocHeap', () => {
  it('gives back the pages of freed buffers that lie between live ones', async () => {
    // 64 KiB buffers come from glibc's heap (below its 128 KiB mmap threshold). Every 16th is
    // kept, so the free space is spread between live blocks, where free() leaves it resident.
    const kept: Buffer[] = [];
    let buffers: Buffer[] | undefined = [];
    for (let i = 0; i < 640; i++) {
      const b = Buffer.alloc(64 * 1024, i);
      if (i % 16 === 0) kept.push(b);
      else buffers.push(b);
    }
    buffers = undefined;
    gc();
    await new Promise((r) => setTimeout(r, 200)); // V8 frees dead ArrayBuffers' memory off the main thread
    gc();
    const before = anonymousKiB();
    expect(trimMallocHeap()).toBe(true);
    const after = anonymousKiB();
    // ~37 MiB were freed; at least 20 MiB of it must leave RSS.
    expect(before - after).toBeGreaterThan(20 * 1024);
    expect(kept.every((b, i) => b[0] === (i * 16) % 256)).toBe(true);
  });

  it('names the addon when it cannot be loaded', () => {
    let error: unknown;
    try {
      trimMallocHeap('/nonexistent/malloc-trim.node');
    } catch (e) {
      error = e;
    }
    expect(isHostHelperError(error) && error.code).toBe('ADDON_MISSING');
    expect((error as Error).message).toContain('/nonexistent/malloc-trim.node');
  });
});

describe('tuneMalloc', () => {
  /** Arenas of a fresh process before and after four worker threads started, capped at one or not. */
  const arenas = (limit: boolean): number[] => {
    const script = fileURLToPath(new URL('./malloc-arenas.test-helper.ts', import.meta.url));
    const out = execFileSync(process.execPath, ['--import', 'tsx', script, ...(limit ? ['limit'] : [])], { encoding: 'utf8', timeout: 30_000 });
    return out.trim().split(' ').map(Number);
  };

  it('keeps threads that start allocating after the call from making arenas of their own', () => {
    const [unlimitedBefore, unlimitedAfter] = arenas(false);
    expect(unlimitedAfter! - unlimitedBefore!).toBeGreaterThanOrEqual(3);
    const [limitedBefore, limitedAfter] = arenas(true);
    expect(limitedAfter).toBe(limitedBefore);
  });

  it('refuses a value that is not an integer in range, or an unknown option, naming it', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, 5000]) expect(() => tuneMalloc({ arenaMax: bad })).toThrow(`arenaMax must be an integer from 1 to 1024, not ${bad}`);
    expect(() => tuneMalloc({ mmapThreshold: 64 * 1024 * 1024 })).toThrow('mmapThreshold must be an integer from 1 to 33554432, not 67108864');
    expect(() => tuneMalloc({ arenas: 2 } as never)).toThrow('unknown option arenas');
  });

  it('names the addon when it cannot be loaded', () => {
    expect(() => tuneMalloc({ arenaMax: 2 }, '/nonexistent/malloc-trim.node')).toThrow(/cannot load the malloc-trim addon \/nonexistent\/malloc-trim.node/);
  });
});

import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { TerminalSize } from '../interfaces/runtime-backend.js';
import { readTerminalSizes } from './terminal-sizes.js';

function sizesOf(chunks: string[]): { sizes: TerminalSize[]; stream: PassThrough } {
  const stream = new PassThrough();
  const sizes: TerminalSize[] = [];
  readTerminalSizes(stream, (s) => sizes.push(s));
  for (const c of chunks) stream.write(c);
  return { sizes, stream };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('readTerminalSizes', () => {
  it('reads sizes one after another, split across chunks anywhere', async () => {
    const { sizes } = sizesOf(['{"Width":80,"He', 'ight":24}\n{"Width":120,"Height":40}{"Width', '":1,"Height":2}']);
    await tick();
    expect(sizes).toEqual([{ width: 80, height: 24 }, { width: 120, height: 40 }, { width: 1, height: 2 }]);
  });

  it('destroys a stream that carries something other than sizes', async () => {
    for (const bad of ['{"Width":"80","Height":24}', '{"Width":-1,"Height":24}', '{nope}', 'x'.repeat(5000)]) {
      const { sizes, stream } = sizesOf([bad]);
      await tick();
      expect(sizes).toEqual([]);
      expect(stream.destroyed).toBe(true);
    }
  });
});

import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { pipeOutput } from './pipe-output.js';

describe('pipeOutput', () => {
  it('pipes into the destination and resolves once it finished', async () => {
    const to = new PassThrough();
    const chunks: string[] = [];
    to.on('data', (b: Buffer) => chunks.push(b.toString()));
    await pipeOutput(Readable.from(['a', 'b']), to);
    expect(chunks.join('')).toBe('ab');
  });

  it('reads and drops output with nowhere to go, so its writer never blocks', async () => {
    const from = new PassThrough({ highWaterMark: 16 });
    await pipeOutput(from, undefined);
    // far more than the buffer holds: writes keep being accepted only while something reads
    for (let i = 0; i < 100; i++) from.write('x'.repeat(64));
    await new Promise((r) => setImmediate(r));
    expect(from.readableLength).toBe(0);
    expect(from.writableNeedDrain).toBe(false);
  });
});

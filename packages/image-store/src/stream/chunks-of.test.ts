import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { chunksOf } from './chunks-of.js';

describe('chunksOf', () => {
  it('hands out each chunk as the stream produced it, never joined, however far behind the reader is', async () => {
    const stream = new PassThrough();
    const written = [Buffer.from('a'.repeat(1000)), Buffer.from('b'.repeat(2000)), Buffer.from('c')];
    for (const w of written) stream.write(w);
    stream.end();
    const got: Buffer[] = [];
    for await (const chunk of chunksOf(stream)) got.push(chunk);
    expect(got.map((c) => c.toString())).toEqual(written.map((w) => w.toString()));
  });

  it('pauses the stream while `buffered` chunks wait and resumes it as they are read', async () => {
    const stream = Readable.from(Array.from({ length: 20 }, (_, i) => Buffer.from(`chunk ${i}`)), { objectMode: false });
    const reader = chunksOf(stream, 4);
    expect((await reader.next()).value?.toString()).toBe('chunk 0');
    await new Promise((r) => setTimeout(r, 20));
    expect(stream.isPaused()).toBe(true);
    let rest = 0;
    for await (const _ of reader) rest++;
    expect(rest).toBe(19);
  });

  it('throws the stream error after the chunks that came before it', async () => {
    const stream = new PassThrough();
    stream.write('first');
    setImmediate(() => stream.destroy(new Error('connection reset')));
    const got: string[] = [];
    await expect((async () => {
      for await (const chunk of chunksOf(stream)) got.push(chunk.toString());
    })()).rejects.toThrow('connection reset');
    expect(got).toEqual(['first']);
  });

  it('treats a stream closed before its end as an error, and destroys the stream when the reader stops early', async () => {
    const cut = new PassThrough();
    setImmediate(() => cut.destroy());
    await expect(chunksOf(cut).next()).rejects.toThrow(/premature close/i);

    const stream = new PassThrough();
    stream.write('x');
    for await (const _ of chunksOf(stream)) break;
    expect(stream.destroyed).toBe(true);
  });
});

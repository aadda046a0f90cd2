import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readContainerLog } from './container-logs.js';
import { CriLogWriter } from './cri-log-writer.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cri-log-writer-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('CriLogWriter', () => {
  it('writes full and partial lines of both streams in the order they came, read back as written', async () => {
    const path = join(dir, 'ctr.log');
    const log = new CriLogWriter(path);
    log.write('stdout', Buffer.from('one\ntw'));
    log.write('stdout', Buffer.from('o\n'));
    log.write('stderr', Buffer.from('err\n\n'));
    log.close();
    const lines = (await readFile(path, 'utf8')).split('\n').slice(0, -1);
    for (const line of lines) expect(new Date(line.split(' ')[0] ?? '').getTime()).toBeGreaterThan(0);
    expect(lines.map((l) => l.split(' ').slice(1).join(' '))).toEqual(['stdout F one', 'stdout P tw', 'stdout F o', 'stderr F err', 'stderr F ']);
    const read = { stdout: '', stderr: '' };
    await readContainerLog(path, (stream, text) => (read[stream] += text));
    expect(read).toEqual({ stdout: 'one\ntwo\n', stderr: 'err\n\n' });
  });

  it('writes bytes as they came: a character split between chunks is not decoded on the way', async () => {
    const path = join(dir, 'ctr.log');
    const log = new CriLogWriter(path);
    const euro = Buffer.from('€\n');
    log.write('stdout', euro.subarray(0, 1));
    log.write('stdout', euro.subarray(1));
    log.close();
    const contents = (await readFile(path)).toString('latin1').split('\n').slice(0, -1).map((l) => l.slice(l.indexOf(' ') + 1));
    expect(contents).toEqual([`stdout P ${euro.subarray(0, 1).toString('latin1')}`, `stdout F ${euro.subarray(1, 3).toString('latin1')}`]);
  });

  it('appends to a log that is there, and fails naming a path it cannot open', async () => {
    const path = join(dir, 'ctr.log');
    for (const text of ['a\n', 'b\n']) {
      const log = new CriLogWriter(path);
      log.write('stdout', Buffer.from(text));
      log.close();
    }
    const read: string[] = [];
    await readContainerLog(path, (_stream, text) => read.push(text));
    expect(read.join('')).toBe('a\nb\n');
    expect(() => new CriLogWriter(join(dir, 'missing', 'ctr.log'))).toThrow(/missing\/ctr\.log/);
  });
});

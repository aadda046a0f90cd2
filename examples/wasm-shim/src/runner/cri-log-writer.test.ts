import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { criLogMessages, parseCriLog } from '@shimkit/runc-driver';
import { afterEach, expect, it } from 'vitest';
import { CriLogWriter } from './cri-log-writer.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('writes full and partial lines per stream in kubelet\'s format, splitting long lines', () => {
  dir = mkdtempSync(join(tmpdir(), 'wasm-log-'));
  const path = join(dir, 'c.log');
  const log = new CriLogWriter(path);
  log.write('stdout', Buffer.from('one\ntw'));
  log.write('stderr', Buffer.from('err\n'));
  log.write('stdout', Buffer.from('o\n\nthree'));
  log.write('stdout', Buffer.from('x'.repeat(40_000) + '\n'));
  log.close();
  const lines = parseCriLog(readFileSync(path, 'utf8'));
  expect(lines.every((l) => !Number.isNaN(Date.parse(l.time)))).toBe(true);
  expect(lines.slice(0, 5).map((l) => [l.stream, l.full, l.content])).toEqual([
    ['stdout', true, 'one'], ['stdout', false, 'tw'], ['stderr', true, 'err'], ['stdout', true, 'o'], ['stdout', true, ''],
  ]);
  expect(criLogMessages(lines, 'stdout')).toEqual(['one', 'two', '', 'three' + 'x'.repeat(40_000)]);
  expect(lines.filter((l) => l.content.startsWith('x')).map((l) => l.content.length)).toEqual([16384, 16384, 7232]);
  expect(criLogMessages(lines, 'stderr')).toEqual(['err']);
});

it('follows a rotation: once a new file is at the path, writes go there', async () => {
  dir = mkdtempSync(join(tmpdir(), 'wasm-log-'));
  const path = join(dir, 'c.log');
  const log = new CriLogWriter(path);
  log.write('stdout', Buffer.from('before\n'));
  renameSync(path, `${path}.1`);
  await new Promise((r) => setTimeout(r, 150));
  log.write('stdout', Buffer.from('while renamed\n'));
  writeFileSync(path, '');
  await new Promise((r) => setTimeout(r, 150));
  log.write('stdout', Buffer.from('after\n'));
  log.close();
  expect(criLogMessages(parseCriLog(readFileSync(`${path}.1`, 'utf8')))).toEqual(['before', 'while renamed']);
  expect(criLogMessages(parseCriLog(readFileSync(path, 'utf8')))).toEqual(['after']);
});

it('discards the output when there is no log path', () => {
  const log = new CriLogWriter('');
  log.write('stdout', Buffer.from('gone\n'));
  log.close();
});

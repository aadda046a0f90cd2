import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterEach, expect, it } from 'vitest';
import { followCriLog } from './cri-log-follower.js';
import { CriLogWriter } from './runner/cri-log-writer.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function all(stream: Readable | null): Promise<string> {
  let text = '';
  for await (const chunk of stream ?? []) text += String(chunk);
  return text;
}

it('sends what is written from now on, per stream, through a rotation, and ends after the exit', async () => {
  dir = mkdtempSync(join(tmpdir(), 'wasm-follow-'));
  const path = join(dir, 'c.log');
  const log = new CriLogWriter(path);
  log.write('stdout', Buffer.from('before the attach\n'));
  let exit!: () => void;
  const exited = new Promise<void>((r) => (exit = r));
  const session = await followCriLog(path, { stdout: true, stderr: true, exited, pollMs: 10 });
  const out = all(session.stdout);
  const err = all(session.stderr);
  log.write('stdout', Buffer.from('one\ntw'));
  log.write('stderr', Buffer.from('oops\n'));
  await new Promise((r) => setTimeout(r, 50));
  log.write('stdout', Buffer.from('o\n'));
  renameSync(path, `${path}.1`);
  const rotated = new CriLogWriter(path);
  rotated.write('stdout', Buffer.from('three\n'));
  exit();
  await session.ended;
  expect(await out).toBe('one\ntwo\nthree\n');
  expect(await err).toBe('oops\n');
  log.close();
  rotated.close();
});

it('ends on detach, with only the streams asked for', async () => {
  dir = mkdtempSync(join(tmpdir(), 'wasm-follow-'));
  const path = join(dir, 'c.log');
  const log = new CriLogWriter(path);
  const session = await followCriLog(path, { stdout: false, stderr: true, exited: new Promise(() => undefined), pollMs: 10 });
  expect(session.stdout).toBeNull();
  const err = all(session.stderr);
  log.write('stderr', Buffer.from('x\n'));
  await new Promise((r) => setTimeout(r, 50));
  session.detach();
  await session.ended;
  expect(await err).toBe('x\n');
  log.close();
});

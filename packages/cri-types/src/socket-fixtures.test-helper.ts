import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh temp dir (short path, so socket paths stay under the sun_path limit) and its removal. */
export async function makeTempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `cri-types-${process.pid}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Leaves a socket file nobody listens on, as a runtime killed with SIGKILL does. */
export function makeDeadSocket(path: string): void {
  const script = `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`;
  const result = spawnSync(process.execPath, ['-e', script], { timeout: 10_000 });
  if (result.signal !== 'SIGKILL') throw new Error(`could not make a dead socket at ${path}: ${result.stderr.toString()}`);
}

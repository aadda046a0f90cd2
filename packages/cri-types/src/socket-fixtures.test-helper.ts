import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A fresh temp dir (short path, so socket paths stay under the sun_path limit) and its removal. */
export async function makeTempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `cri-types-${process.pid}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

const DEAD_SOCKET = fileURLToPath(new URL('./dead-socket.test-helper.ts', import.meta.url));

/** Leaves a socket file nobody listens on, as a runtime killed with SIGKILL does. */
export function makeDeadSocket(path: string): void {
  const result = spawnSync(process.execPath, ['--import', 'tsx', DEAD_SOCKET, path], { timeout: 10_000 });
  if (result.signal !== 'SIGKILL') throw new Error(`could not make a dead socket at ${path}: ${result.stderr.toString()}`);
}

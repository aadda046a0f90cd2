import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import type { Registry } from '@shimkit/test-bed';
import { afterAll, beforeAll, expect } from 'vitest';

export const execFileAsync = promisify(execFile);

/** GETs `path` from the registry (basic auth when it has credentials); returns body and headers. */
export async function registryGet(registry: Registry, path: string, accept?: string): Promise<{ body: Buffer; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (accept) headers.accept = accept;
  if (registry.auth) headers.authorization = `Basic ${Buffer.from(`${registry.auth.username}:${registry.auth.password}`).toString('base64')}`;
  const res = await fetch(`${registry.url}${path}`, { headers, signal: AbortSignal.timeout(20_000) });
  const body = Buffer.from(await res.arrayBuffer());
  if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status} ${body.toString('utf8').slice(0, 200)}`);
  return { body, headers: res.headers };
}

export function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Temp dirs pushTestImages (or these tests) made and did not remove. */
export async function ourTempDirs(): Promise<string[]> {
  return (await readdir(tmpdir())).filter((n) => n.startsWith('shimkit-test-images-'));
}

/** Mount points under any of our temp dirs. */
export async function ourMounts(): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return info.split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.includes('/shimkit-test-images-'));
}

/** Registers hooks that fail the file when it leaves temp dirs (beyond those there before it) or mounts of ours behind. */
export function expectNothingLeftBehind(): void {
  let tempBefore: string[];
  beforeAll(async () => {
    tempBefore = await ourTempDirs();
  });
  afterAll(async () => {
    expect((await ourTempDirs()).filter((d) => !tempBefore.includes(d))).toEqual([]);
    expect(await ourMounts()).toEqual([]);
  });
}

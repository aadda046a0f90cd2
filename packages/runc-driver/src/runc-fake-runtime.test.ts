import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRuncError } from './runc-error.js';
import { Runc } from './runc.js';

// Failure paths that real runtimes rarely produce, driven by tiny fake runtimes.
describe('Runc with a fake runtime', () => {
  let dir: string;
  let runc: Runc | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fake-runtime-'));
  });
  afterEach(async () => {
    await runc?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function fake(body: string): Promise<Runc> {
    const path = join(dir, 'fake-runc');
    await writeFile(path, `#!/bin/sh\n${body}\n`);
    await chmod(path, 0o755);
    runc = new Runc({ binary: path, tmpDir: dir });
    return runc;
  }

  it('takes the message from stderr when the JSON log is empty (verbs without output too)', async () => {
    const r = await fake('echo "panic: something broke" >&2; exit 2');
    const err = await r.start('x').catch((e: unknown) => e);
    expect(isRuncError(err, 'COMMAND_FAILED')).toBe(true);
    expect(String(err)).toMatch(/panic: something broke/);
    expect(isRuncError(err) && err.stderr).toMatch(/panic: something broke/);
    expect(isRuncError(err) && err.exitCode).toBe(2);
    const err2 = await r.state('x').catch((e: unknown) => e);
    expect(isRuncError(err2) && err2.stderr).toMatch(/panic/);
  });

  it('reports a runtime killed by a signal', async () => {
    const r = await fake('kill -9 $$');
    const err = await r.kill('x', 'SIGTERM').catch((e: unknown) => e);
    expect(isRuncError(err) && err.exitSignal).toBe('SIGKILL');
  });

  it('rejects unparsable output', async () => {
    const r = await fake('echo "not json"');
    expect(isRuncError(await r.state('x').catch((e: unknown) => e), 'PARSE_ERROR')).toBe(true);
    expect(isRuncError(await r.version().catch((e: unknown) => e), 'PARSE_ERROR')).toBe(true);
  });

  it('passes global flags before the verb', async () => {
    const r = await fake('echo "$@" >&2; exit 1');
    runc = new Runc({ binary: join(dir, 'fake-runc'), root: '/r', systemdCgroup: true, rootless: 'auto', extraArgs: ['--x'], tmpDir: dir });
    await r.close();
    const err = await runc.delete('c1', { force: true }).catch((e: unknown) => e);
    expect(isRuncError(err) && err.stderr).toMatch(/^--log \S+ --log-format json --root \/r --systemd-cgroup --rootless=auto --x delete --force c1$/m);
  });

  it('refuses calls after close and bad ids before spawning', async () => {
    const r = await fake('exit 0');
    expect(isRuncError(await r.start('-rf').catch((e: unknown) => e), 'INVALID_ARGUMENT')).toBe(true);
    await r.close();
    expect(isRuncError(await r.start('x').catch((e: unknown) => e), 'CLOSED')).toBe(true);
  });
});

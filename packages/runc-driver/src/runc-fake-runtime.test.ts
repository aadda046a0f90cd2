import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRuncError } from './runc-error.js';
import { Runc } from './runc.js';

// Failure paths that real runtimes rarely produce, driven by tiny fake runtimes.
const fakeRuntime = (name: string) => fileURLToPath(new URL(`../test/fake-runtimes/${name}`, import.meta.url));

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

  /** A Runc on one of the fake runtimes in test/fake-runtimes. */
  function fake(name: string): Runc {
    runc = new Runc({ binary: fakeRuntime(name), tmpDir: dir });
    return runc;
  }

  it('takes the message from stderr when the JSON log is empty (verbs without output too)', async () => {
    const r = fake('panics');
    const err = await r.start('x').catch((e: unknown) => e);
    expect(isRuncError(err, 'COMMAND_FAILED')).toBe(true);
    expect(String(err)).toMatch(/panic: something broke/);
    expect(isRuncError(err) && err.stderr).toMatch(/panic: something broke/);
    expect(isRuncError(err) && err.exitCode).toBe(2);
    const err2 = await r.state('x').catch((e: unknown) => e);
    expect(isRuncError(err2) && err2.stderr).toMatch(/panic/);
  });

  it('reports a runtime killed by a signal', async () => {
    const r = fake('killed-by-signal');
    const err = await r.kill('x', 'SIGTERM').catch((e: unknown) => e);
    expect(isRuncError(err) && err.exitSignal).toBe('SIGKILL');
  });

  it('rejects unparsable output', async () => {
    const r = fake('prints-not-json');
    expect(isRuncError(await r.state('x').catch((e: unknown) => e), 'PARSE_ERROR')).toBe(true);
    expect(isRuncError(await r.version().catch((e: unknown) => e), 'PARSE_ERROR')).toBe(true);
  });

  it('passes global flags before the verb', async () => {
    const r = fake('echoes-arguments');
    runc = new Runc({ binary: fakeRuntime('echoes-arguments'), root: '/r', systemdCgroup: true, rootless: 'auto', extraArgs: ['--x'], tmpDir: dir });
    await r.close();
    const err = await runc.delete('c1', { force: true }).catch((e: unknown) => e);
    expect(isRuncError(err) && err.stderr).toMatch(/^--log \S+ --log-format json --root \/r --systemd-cgroup --rootless=auto --x delete --force c1$/m);
  });

  it('refuses calls after close and bad ids before spawning', async () => {
    const r = fake('succeeds');
    expect(isRuncError(await r.start('-rf').catch((e: unknown) => e), 'INVALID_ARGUMENT')).toBe(true);
    await r.close();
    expect(isRuncError(await r.start('x').catch((e: unknown) => e), 'CLOSED')).toBe(true);
  });
});

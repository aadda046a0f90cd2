import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isShimError } from '../errors.js';
import type { RuntimeBackend } from '../interfaces/runtime-backend.js';
import { FakeRuntimeBackend } from '../testing/fake-runtime-backend.js';
import { backendExecRunner } from './backend-exec-runner.js';

async function runningContainer(fake: FakeRuntimeBackend): Promise<string> {
  await fake.runSandbox({ id: 's1', config: {} as never, runtimeHandler: '' });
  await fake.createContainer({ id: 'c1', sandboxId: 's1', spec: { ociVersion: '1.2.0', annotations: { 'io.kubernetes.cri.container-name': 'app' } }, rootfs: '/r', logPath: '/l' });
  await fake.startContainer('c1');
  return 'c1';
}

function collect(stream: PassThrough): Promise<string> {
  const parts: Buffer[] = [];
  stream.on('data', (b: Buffer) => parts.push(b));
  return new Promise((resolve) => stream.once('finish', () => resolve(Buffer.concat(parts).toString())));
}

describe('backendExecRunner', () => {
  it('relays stdin to the backend exec and its output back, resolving with the exit code', async () => {
    const fake = new FakeRuntimeBackend();
    const containerId = await runningContainer(fake);
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const out = collect(stdout);
    const run = backendExecRunner(fake)({ containerId, cmd: ['cat'], tty: false, stdin: true, stdout: true, stderr: false }, { stdin, stdout }, new AbortController().signal);
    stdin.end('relayed');
    expect(await run).toBe(0);
    expect(await out).toBe('relayed');
    expect(fake.callsTo('exec')[0]?.args).toEqual([containerId, { cmd: ['cat'], tty: false, stdin: true, stdout: true, stderr: false }]);
  });

  it('kills the command when the signal aborts', async () => {
    const fake = new FakeRuntimeBackend();
    const containerId = await runningContainer(fake);
    const aborter = new AbortController();
    const stdin = new PassThrough(); // never ended: cat would wait forever
    const run = backendExecRunner(fake)({ containerId, cmd: ['cat'], tty: false, stdin: true, stdout: false, stderr: false }, { stdin }, aborter.signal);
    await new Promise((r) => setTimeout(r, 20));
    aborter.abort();
    expect(await run).toBe(137);
  });

  it('rejects with Unimplemented for a backend without exec, and passes the backend\'s NotFound on', async () => {
    const fake = new FakeRuntimeBackend();
    const bare = { ...fake, exec: undefined } as unknown as RuntimeBackend;
    const request = { containerId: 'c1', cmd: ['true'], tty: false, stdin: false, stdout: true, stderr: false };
    const error = await backendExecRunner(bare)(request, {}, new AbortController().signal).catch((e: unknown) => e);
    expect(isShimError(error, 'Unimplemented')).toBe(true);
    const missing = await backendExecRunner(fake)(request, {}, new AbortController().signal).catch((e: unknown) => e);
    expect(isShimError(missing, 'NotFound')).toBe(true);
  });
});

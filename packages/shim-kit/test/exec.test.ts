import { connect, type CriClient } from '@shimkit/cri-types';
import { beforeEach, describe, expect, it } from 'vitest';
import { RemoteCommandClient, runExec, upgradeStatus } from '../src/streaming/spdy-exec-client.test-helper.js';
import { startFakeShim, type FakeShim } from '../src/testing.js';
import { codeOf, containerConfig, podConfig, useFakePod } from './cri-fixtures.js';

describe('Exec over the streaming server (fake runtime)', () => {
  let fake: FakeShim;
  let cri: CriClient;
  let podSandboxId: string;
  let containerId: string;
  const pod = podConfig('exec');
  useFakePod(pod, (world) => ({ fake, cri, podSandboxId } = world));
  beforeEach(async () => {
    containerId = (await cri.runtime.createContainer({ podSandboxId, sandboxConfig: pod, config: containerConfig('c') })).containerId;
  });

  it('answers a single-use URL on 127.0.0.1 that runs the command with stdin, stdout and stderr', async () => {
    fake.fakes.runtime.execResponder = (_c, cmd, stdin) => ({ stdout: stdin ?? Buffer.alloc(0), stderr: Buffer.from('err\n'), exitCode: cmd.length });
    await cri.runtime.startContainer({ containerId });
    const { url } = await cri.runtime.exec({ containerId, cmd: ['sh', '-c', 'cat; echo err >&2; exit 3'], stdin: true, stdout: true, stderr: true });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/exec\/\S+$/);
    const outcome = await runExec(url, { stdin: 'hello exec' });
    expect(outcome.stdout).toBe('hello exec');
    expect(outcome.stderr).toBe('err\n');
    expect(outcome.status).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] } });
    expect(await upgradeStatus(url)).toBe(404);
    expect(fake.fakes.runtime.calls.filter((c) => c.method === 'exec')).toHaveLength(1);
  });

  it('checks the request as kubelet does', async () => {
    expect(await codeOf(cri.runtime.exec({ containerId: 'nope', cmd: ['sh'], stdout: true }))).toBe('NotFound');
    expect(await codeOf(cri.runtime.exec({ containerId, cmd: ['sh'], stdout: true }))).toBe('FailedPrecondition');
    await cri.runtime.startContainer({ containerId });
    expect(await codeOf(cri.runtime.exec({ containerId, cmd: ['sh'] }))).toBe('InvalidArgument');
    expect(await codeOf(cri.runtime.exec({ containerId, cmd: [], stdout: true }))).toBe('InvalidArgument');
    expect(await codeOf(cri.runtime.exec({ containerId: '', cmd: ['sh'], stdout: true }))).toBe('InvalidArgument');
    await expect(cri.runtime.exec({ containerId, cmd: ['sh'], tty: true, stdout: true, stderr: true })).rejects.toMatchObject({ code: 'InvalidArgument', message: expect.stringMatching(/tty and stderr/) });
  });

  it('runs a tty exec with one output stream and hands the client\'s terminal sizes to the backend', async () => {
    fake.fakes.runtime.execResponder = () => ({ stdout: Buffer.from('out '), stderr: Buffer.from('err'), exitCode: 0 });
    await cri.runtime.startContainer({ containerId });
    const { url } = await cri.runtime.exec({ containerId, cmd: ['sh'], tty: true, stdin: true, stdout: true });
    const session = await RemoteCommandClient.open(url, ['stdin', 'stdout', 'resize']);
    try {
      await session.resize(120, 40);
      await session.resize(80, 24);
      await new Promise((r) => setTimeout(r, 50));
      await session.write('', true);
      expect(await session.readAll('stdout')).toBe('out err');
      expect(await session.status()).toEqual({ metadata: {}, status: 'Success' });
    } finally {
      session.close();
    }
    expect(fake.fakes.runtime.container(containerId)?.terminalSizes).toEqual([{ width: 120, height: 40 }, { width: 80, height: 24 }]);
  });

  it('answers Unimplemented when the shim runs no streaming server', async () => {
    await using other = await startFakeShim({ shim: { streaming: false } });
    const client = await connect(other.endpoint);
    try {
      await client.image.pullImage({ image: { image: 'busybox' } });
      const podSandboxId = (await client.runtime.runPodSandbox({ config: pod })).podSandboxId;
      const id = (await client.runtime.createContainer({ podSandboxId, sandboxConfig: pod, config: containerConfig('c') })).containerId;
      await client.runtime.startContainer({ containerId: id });
      await expect(client.runtime.exec({ containerId: id, cmd: ['true'], stdout: true })).rejects.toThrow(/no streaming server/);
    } finally {
      await client.close();
    }
  });
});

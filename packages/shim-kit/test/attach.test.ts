import type { ContainerConfig, CriClient, DeepPartial } from '@shimkit/cri-types';
import { describe, expect, it, vi } from 'vitest';
import { RemoteCommandClient } from '../src/streaming/spdy-exec-client.test-helper.js';
import type { FakeShim } from '../src/testing.js';
import { codeOf, containerConfig, podConfig, useFakePod } from './cri-fixtures.js';

describe('Attach over the streaming server (fake runtime)', () => {
  let fake: FakeShim;
  let cri: CriClient;
  const pod = podConfig('attach');
  let podSandboxId: string;
  useFakePod(pod, (world) => ({ fake, cri, podSandboxId } = world));

  async function running(name: string, extra: DeepPartial<ContainerConfig> = {}): Promise<string> {
    const { containerId } = await cri.runtime.createContainer({ podSandboxId, sandboxConfig: pod, config: { ...containerConfig(name), ...extra } });
    await cri.runtime.startContainer({ containerId });
    return containerId;
  }

  it('relays the container\'s output and the client\'s input; closing stdin detaches a container without stdin_once', async () => {
    const containerId = await running('shell', { stdin: true });
    const { url } = await cri.runtime.attach({ containerId, stdin: true, stdout: true, stderr: true });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/attach\/\S+$/);
    const session = await RemoteCommandClient.open(url, ['stdin', 'stdout', 'stderr']);
    try {
      await session.write('typed\n');
      await vi.waitFor(() => expect(fake.fakes.runtime.container(containerId)?.stdinReceived).toBe('typed\n'), { timeout: 500, interval: 10 });
      fake.fakes.runtime.writeOutput(containerId, 'stdout', 'out\n');
      fake.fakes.runtime.writeOutput(containerId, 'stderr', 'err\n');
      expect(await session.readUntil('stdout', 'out\n')).toBe('out\n');
      expect(await session.readUntil('stderr', 'err\n')).toBe('err\n');
      await session.write('', true);
      expect(await session.status()).toEqual({ metadata: {}, status: 'Success' });
    } finally {
      session.close();
    }
    expect(fake.fakes.runtime.container(containerId)).toMatchObject({ status: 'running', stdinReceived: 'typed\n', stdinClosed: false });
    expect(fake.fakes.runtime.callsTo('attach')[0]?.args).toEqual([containerId, { stdin: true, stdout: true, stderr: true }]);
  });

  it('closes the stdin of a stdin_once container and ends the session when the container exits', async () => {
    const containerId = await running('once', { stdin: true, stdinOnce: true, tty: true });
    const { url } = await cri.runtime.attach({ containerId, stdin: true, stdout: true, tty: true });
    const session = await RemoteCommandClient.open(url, ['stdin', 'stdout', 'resize']);
    try {
      await session.resize(100, 30);
      await session.write('bye', true);
      await vi.waitFor(() => expect(fake.fakes.runtime.container(containerId)?.stdinClosed).toBe(true), { timeout: 500, interval: 10 });
      expect(fake.fakes.runtime.container(containerId)).toMatchObject({ stdinReceived: 'bye', stdinClosed: true, terminalSizes: [{ width: 100, height: 30 }] });
      fake.fakes.runtime.writeOutput(containerId, 'stdout', 'last words');
      fake.fakes.runtime.exitContainer(containerId, { exitCode: 0 });
      expect(await session.readAll('stdout')).toBe('last words');
      expect(await session.status()).toEqual({ metadata: {}, status: 'Success' });
    } finally {
      session.close();
    }
  });

  it('checks the request against the container, with the codes kubelet expects', async () => {
    const plain = await running('plain');
    expect(await codeOf(cri.runtime.attach({ containerId: 'nope', stdout: true }))).toBe('NotFound');
    expect(await codeOf(cri.runtime.attach({ containerId: '', stdout: true }))).toBe('InvalidArgument');
    expect(await codeOf(cri.runtime.attach({ containerId: plain }))).toBe('InvalidArgument');
    await expect(cri.runtime.attach({ containerId: plain, stdin: true, stdout: true })).rejects.toMatchObject({ code: 'FailedPrecondition', message: expect.stringContaining('not created with stdin') });
    await expect(cri.runtime.attach({ containerId: plain, stdout: true, tty: true })).rejects.toMatchObject({ code: 'InvalidArgument', message: expect.stringContaining('tty=true') });
    await cri.runtime.stopContainer({ containerId: plain, timeout: 0n });
    expect(await codeOf(cri.runtime.attach({ containerId: plain, stdout: true }))).toBe('FailedPrecondition');
    expect(fake.fakes.runtime.callsTo('attach')).toEqual([]);
  });
});

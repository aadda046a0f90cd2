import { connect } from '@shimkit/cri-types';
import { describe, expect, it } from 'vitest';
import { provide } from '../shim/modules.js';
import { Tokens } from '../tokens.js';
import { FakeClock } from './fake-clock.js';
import { startFakeShim } from './fake-shim.js';
import { RecordingLogger } from './recording-logger.js';

describe('FakeClock and RecordingLogger swapped into a shim', () => {
  it('stamps CRI times from the fake clock and records the shim’s warnings', async () => {
    const clock = new FakeClock(new Date('2030-01-02T03:04:05Z'));
    const logger = new RecordingLogger();
    await using cri = await startFakeShim({ modules: [provide(Tokens.Clock, clock), provide(Tokens.Logger, logger)] });
    await using client = await connect(cri.endpoint);
    const { podSandboxId } = await client.runtime.runPodSandbox({ config: { metadata: { name: 'p', namespace: 'n', uid: 'u' } } });
    expect((await client.runtime.podSandboxStatus({ podSandboxId })).status?.createdAt).toBe(BigInt(Date.parse('2030-01-02T03:04:05Z')) * 1_000_000n);
    clock.advance(1500);
    expect((await client.runtime.podSandboxStatus({ podSandboxId })).timestamp).toBe(BigInt(Date.parse('2030-01-02T03:04:06.500Z')) * 1_000_000n);
    cri.fakes.network.failNext('teardown', 'cni crashed');
    await client.runtime.stopPodSandbox({ podSandboxId });
    expect(logger.messages('warn')).toEqual(['pod network teardown failed; will retry on the next stop or remove']);
    expect(logger.lines.find((l) => l.level === 'warn')?.fields).toMatchObject({ sandboxId: podSandboxId });
  });
});

import { expect } from 'vitest';
import { criCase, failsWith, type CriSuite } from './cri-suite-context.js';

/** What kubelet gets for ids the runtime does not know. */
export function errorCases(suite: CriSuite): void {
  criCase(suite, 'unknown-ids', 'answers NotFound for unknown container and pod ids; removes of unknown ids succeed', async () => {
    const { runtime } = suite.cri();
    const containerId = 'no-such-container-cri-conformance';
    const podSandboxId = 'no-such-pod-cri-conformance';
    const notFound = failsWith('NotFound');
    await expect(runtime.containerStatus({ containerId })).rejects.toSatisfy(notFound);
    await expect(runtime.startContainer({ containerId })).rejects.toSatisfy(notFound);
    // StopContainer is idempotent: for an id it never had, a runtime may answer OK or NotFound
    await runtime.stopContainer({ containerId, timeout: 0n }).catch((e: unknown) => expect(e).toSatisfy(notFound));
    await expect(runtime.execSync({ containerId, cmd: ['true'], timeout: 5n })).rejects.toSatisfy(notFound);
    await expect(runtime.containerStats({ containerId })).rejects.toSatisfy(notFound);
    await expect(runtime.podSandboxStatus({ podSandboxId })).rejects.toSatisfy(notFound);
    await expect(
      runtime.createContainer({ podSandboxId, config: { metadata: { name: 'orphan', attempt: 0 }, image: { image: suite.image() } }, sandboxConfig: { metadata: { name: 'x', uid: 'x', namespace: 'x' } } }),
    ).rejects.toSatisfy(notFound);
    await runtime.removeContainer({ containerId });
    await runtime.removePodSandbox({ podSandboxId });
  });
}

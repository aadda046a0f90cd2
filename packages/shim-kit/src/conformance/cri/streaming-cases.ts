import { expect } from 'vitest';
import { criCase, failsWith, type CriSuite } from './cri-suite-context.js';

/** A URL kubelet can hand to its streaming proxy. */
function expectStreamingUrl(url: string, what: string): void {
  expect(() => new URL(url), `${what} URL ${JSON.stringify(url)}`).not.toThrow();
  expect(new URL(url).protocol, `${what} URL scheme`).toMatch(/^(http|https):$/);
}

/** Exec, Attach and PortForward answer with a URL of the runtime's streaming server. */
export function streamingCases(suite: CriSuite): void {
  criCase(suite, 'streaming-urls', 'Exec, Attach and PortForward return streaming URLs; NotFound for an unknown container', async () => {
    const { runtime } = suite.cri();
    const pod = await suite.runPod();
    const id = await suite.startContainer(pod);
    expectStreamingUrl((await runtime.exec({ containerId: id, cmd: ['sh'], stdin: true, stdout: true, stderr: true })).url, 'Exec');
    expectStreamingUrl((await runtime.attach({ containerId: id, stdout: true, stderr: true })).url, 'Attach');
    expectStreamingUrl((await runtime.portForward({ podSandboxId: pod.id, port: [80] })).url, 'PortForward');
    await expect(runtime.exec({ containerId: 'no-such-container-cri-conformance', cmd: ['sh'], stdout: true })).rejects.toSatisfy(failsWith('NotFound'));
  });
}

import { expect } from 'vitest';
import { criCase, failsWith, type CriSuite } from './cri-suite-context.js';

/** A URL kubelet can hand to its streaming proxy. */
function expectStreamingUrl(url: string, what: string): void {
  expect(() => new URL(url), `${what} URL ${JSON.stringify(url)}`).not.toThrow();
  expect(new URL(url).protocol, `${what} URL scheme`).toMatch(/^(http|https):$/);
}

/** Exec, Attach and PortForward answer with a URL of the runtime's streaming server. */
export function streamingCases(suite: CriSuite): void {
  criCase(suite, 'streaming-urls', 'Exec, Attach and PortForward return streaming URLs (Unimplemented naming the handler where it cannot); NotFound for an unknown container', async () => {
    const { runtime } = suite.cri();
    const pod = await suite.runPod();
    const id = await suite.startContainer(pod);
    const exec = runtime.exec({ containerId: id, cmd: ['sh'], stdin: true, stdout: true, stderr: true });
    if (suite.abilities.exec) expectStreamingUrl((await exec).url, 'Exec');
    else await expect(exec, 'Exec').rejects.toSatisfy(suite.refusedByHandler('Unimplemented'));
    expectStreamingUrl((await runtime.attach({ containerId: id, stdout: true, stderr: true })).url, 'Attach');
    const portForward = runtime.portForward({ podSandboxId: pod.id, port: [80] });
    if (suite.abilities.portForward) expectStreamingUrl((await portForward).url, 'PortForward');
    else await expect(portForward, 'PortForward').rejects.toSatisfy(suite.refusedByHandler('Unimplemented'));
    await expect(runtime.exec({ containerId: 'no-such-container-cri-conformance', cmd: ['sh'], stdout: true })).rejects.toSatisfy(failsWith('NotFound'));
  });
}

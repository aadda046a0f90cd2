import { ContainerState } from '@shimkit/cri-types';
import { expect } from 'vitest';
import { criCase, failsWith, type CriSuite } from './cri-suite-context.js';

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

/** ExecSync: what exec probes run on. */
export function execCases(suite: CriSuite): void {
  criCase(suite, 'exec-sync', 'ExecSync returns stdout, stderr and the exit code of a command in a running container (a handler without exec: Unimplemented naming it)', async () => {
    const { runtime } = suite.cri();
    const id = await suite.startContainer(await suite.runPod());
    if (!suite.abilities.exec) {
      await expect(runtime.execSync({ containerId: id, cmd: ['echo', 'hello'], timeout: 20n })).rejects.toSatisfy(suite.refusedByHandler('Unimplemented'));
      return;
    }
    const out = await runtime.execSync({ containerId: id, cmd: ['sh', '-c', 'echo to-out; echo to-err >&2; exit 5'], timeout: 20n });
    expect([text(out.stdout), text(out.stderr), out.exitCode]).toEqual(['to-out\n', 'to-err\n', 5]);
    const ok = await runtime.execSync({ containerId: id, cmd: ['echo', 'hello'], timeout: 20n });
    expect([text(ok.stdout), ok.exitCode]).toEqual(['hello\n', 0]);
  });

  criCase(suite, 'exec-sync-timeout', 'ExecSync answers DeadlineExceeded when its timeout passes (without exec: Unimplemented), and the container keeps running', async () => {
    const { runtime } = suite.cri();
    const id = await suite.startContainer(await suite.runPod());
    const code = suite.abilities.exec ? failsWith('DeadlineExceeded') : suite.refusedByHandler('Unimplemented');
    await expect(runtime.execSync({ containerId: id, cmd: ['sleep', '60'], timeout: 1n })).rejects.toSatisfy(code);
    expect((await runtime.containerStatus({ containerId: id })).status?.state).toBe(ContainerState.CONTAINER_RUNNING);
  });
}

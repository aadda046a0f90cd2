import { expect } from 'vitest';
import { isShimError } from '../../errors.js';
import { conformanceCase, type RuntimeBackendSuite } from './suite-context.js';

const notFound = (e: unknown): boolean => isShimError(e, 'NotFound');

/** kubelet retries stop and remove freely: the second call must succeed and change nothing. */
export function idempotenceCases(suite: RuntimeBackendSuite): void {
  conformanceCase(suite, 'idempotent-stop-remove', 'stops and removes containers and sandboxes twice without error', async () => {
    const backend = suite.backend();
    const sb = await suite.sandbox();
    const { id } = await suite.start(sb);
    await backend.stopContainer(id, { timeoutSeconds: 0 });
    await backend.stopContainer(id, { timeoutSeconds: 0 });
    expect(await backend.containerState(id)).toMatchObject({ status: 'exited', exitCode: 137 });
    const done = await suite.start(sb, { kind: 'exit', exitCode: 0 });
    await suite.exited(done.id);
    await backend.stopContainer(done.id, { timeoutSeconds: 10 });
    expect((await backend.containerState(done.id)).exitCode, 'stopping an exited container keeps its code').toBe(0);
    for (const c of [id, done.id]) {
      await backend.removeContainer(c);
      await backend.removeContainer(c);
      await expect(backend.containerState(c)).rejects.toSatisfy(notFound);
    }
    await backend.stopSandbox(sb.id);
    await backend.stopSandbox(sb.id);
    expect(await backend.sandboxState(sb.id)).toBe('notready');
    await backend.removeSandbox(sb.id);
    await backend.removeSandbox(sb.id);
    await expect(backend.sandboxState(sb.id)).rejects.toSatisfy(notFound);
  });

  conformanceCase(suite, 'remove-running', 'removes a running container and a created one (killing what runs)', async () => {
    const backend = suite.backend();
    const sb = await suite.sandbox();
    const running = await suite.start(sb);
    const created = await suite.create(sb);
    for (const { id } of [running, created]) {
      await backend.removeContainer(id);
      await expect(backend.containerState(id)).rejects.toSatisfy(notFound);
    }
  });
}

import { expect } from 'vitest';
import { isShimError, type ShimErrorCode } from '../../errors.js';
import { conformanceCase, type RuntimeBackendSuite } from './suite-context.js';

/** A check that the error has `code` and names `id`. */
const failsWith =
  (code: ShimErrorCode, id: string) =>
  (e: unknown): boolean =>
    isShimError(e, code) && (e as Error).message.includes(id);

/** NotFound for ids the backend does not have, AlreadyExists for ids it has. */
export function errorCases(suite: RuntimeBackendSuite): void {
  conformanceCase(suite, 'unknown-ids', 'answers NotFound naming an unknown id; remove and sandbox stop of unknown ids succeed', async () => {
    const backend = suite.backend();
    const c = 'no-such-container-conformance';
    const s = 'no-such-sandbox-conformance';
    await expect(backend.containerState(c)).rejects.toSatisfy(failsWith('NotFound', c));
    await expect(backend.startContainer(c)).rejects.toSatisfy(failsWith('NotFound', c));
    await expect(backend.stopContainer(c, { timeoutSeconds: 0 })).rejects.toSatisfy(failsWith('NotFound', c));
    await expect(backend.execSync(c, { cmd: ['true'] })).rejects.toSatisfy(failsWith('NotFound', c));
    await expect(backend.stats(c)).rejects.toSatisfy(failsWith('NotFound', c));
    await expect(backend.updateResources(c, { cpu: { shares: 256 } })).rejects.toSatisfy(failsWith('NotFound', c));
    await expect(backend.sandboxState(s)).rejects.toSatisfy(failsWith('NotFound', s));
    await backend.removeContainer(c);
    await backend.stopSandbox(s);
    await backend.removeSandbox(s);
  });

  conformanceCase(suite, 'already-exists', 'refuses a used container or sandbox id with AlreadyExists and keeps the first', async () => {
    const backend = suite.backend();
    const sb = await suite.sandbox();
    const { id } = await suite.start(sb);
    const again = await suite.harness.container(id, sb, { kind: 'sleep' });
    await expect(backend.createContainer({ id, sandboxId: sb.id, ...again })).rejects.toSatisfy(failsWith('AlreadyExists', id));
    await expect(backend.runSandbox({ id: sb.id, config: suite.podConfig(sb.id), runtimeHandler: suite.runtimeHandler })).rejects.toSatisfy(failsWith('AlreadyExists', sb.id));
    expect((await backend.containerState(id)).status).toBe('running');
    expect(await backend.sandboxState(sb.id)).toBe('ready');
  });
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isImageStoreError } from '@shimkit/image-store';
import type { Registry } from '@shimkit/test-bed';
import { isTestBedError, startRegistry } from '@shimkit/test-bed';
import { pushTestImages } from '../src/index.js';
import { expectNothingLeftBehind } from './helpers.js';

expectNothingLeftBehind();

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('pushTestImages should have failed'),
    (e: unknown) => e,
  );
}

describe('pushTestImages failures', () => {
  it('refuses a host that is not host[:port]', async () => {
    for (const host of ['', 'a/b', 'user@127.0.0.1:5000', '127.0.0.1:port', ' 127.0.0.1']) {
      const e = await failure(pushTestImages({ host }));
      expect(isTestBedError(e, 'INVALID_ARGUMENT')).toBe(true);
      expect((e as Error).message).toContain(JSON.stringify(host));
    }
  });

  it('is ABORTED by a signal aborted before or while it runs', async () => {
    const e1 = await failure(pushTestImages({ host: '127.0.0.1:1' }, { signal: AbortSignal.abort() }));
    expect(isTestBedError(e1, 'ABORTED')).toBe(true);
    const controller = new AbortController();
    const running = pushTestImages({ host: '127.0.0.1:1' }, { signal: controller.signal });
    controller.abort(new Error('stop'));
    const e2 = await failure(running);
    expect(isTestBedError(e2, 'ABORTED')).toBe(true);
  });

  describe('against a registry with auth', () => {
    let registry: Registry;
    beforeAll(async () => {
      registry = await startRegistry({ auth: { username: 'tester', password: 'right' } });
    });
    afterAll(async () => {
      await registry?.close();
    });

    it('fails with the registry refusal as cause on a wrong password', async () => {
      const e = await failure(pushTestImages({ host: registry.host, auth: { username: 'tester', password: 'wrong' } }));
      expect(isTestBedError(e, 'COMMAND_FAILED')).toBe(true);
      expect(isImageStoreError((e as Error).cause, 'REGISTRY_UNAUTHORIZED')).toBe(true);
    });

    it('fails without credentials', async () => {
      const e = await failure(pushTestImages({ host: registry.host }));
      expect(isTestBedError(e, 'COMMAND_FAILED')).toBe(true);
      expect(isImageStoreError((e as Error).cause, 'REGISTRY_UNAUTHORIZED')).toBe(true);
    });
  });

  it('fails when nothing listens at the host', async () => {
    const registry = await startRegistry();
    const host = registry.host;
    await registry.close();
    const e = await failure(pushTestImages({ host }));
    expect(isTestBedError(e, 'COMMAND_FAILED')).toBe(true);
    expect((e as Error).message).toContain('pushTestImages');
  });
});

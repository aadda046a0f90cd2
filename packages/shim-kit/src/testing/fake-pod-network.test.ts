import { describe, expect, it } from 'vitest';
import { FakePodNetwork } from './fake-pod-network.js';

const request = (sandboxId: string) => ({ sandboxId, podName: 'p', podNamespace: 'n', podUid: 'u', portMappings: [] });

describe('FakePodNetwork', () => {
  it('hands out distinct addresses and netns paths, tears down idempotently, reports status', async () => {
    const net = new FakePodNetwork();
    const a = await net.setup(request('a'));
    const b = await net.setup(request('b'));
    expect(a.ips[0]).not.toBe(b.ips[0]);
    expect(a.netnsPath).toMatch(/^\/var\/run\/netns\//);
    await expect(net.setup(request('a'))).rejects.toMatchObject({ code: 'AlreadyExists' });
    await net.teardown({ ...request('a'), netnsPath: a.netnsPath });
    await net.teardown({ ...request('a'), netnsPath: a.netnsPath });
    expect([...net.attachments().keys()]).toEqual(['b']);
    net.setStatus({ ready: false, reason: 'NoCNIConfig', message: 'no config in /etc/cni/net.d' });
    expect(await net.status()).toEqual({ ready: false, reason: 'NoCNIConfig', message: 'no config in /etc/cni/net.d' });
  });
});

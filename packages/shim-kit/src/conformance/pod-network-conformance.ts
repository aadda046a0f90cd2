import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PodNetwork, PodNetworkRequest } from '../interfaces/pod-network.js';

/** What a PodNetwork conformance run needs. */
export interface PodNetworkHarness {
  create(): Promise<PodNetwork>;
  cleanup?(): Promise<void>;
}

const request = (n: number): PodNetworkRequest => ({
  sandboxId: `net-${process.pid}-${n}`,
  podName: `pod-${n}`,
  podNamespace: 'conformance',
  podUid: `uid-${n}`,
  portMappings: [],
});

/** The behaviour every {@link PodNetwork} must have: distinct pods get distinct IPs; teardown is idempotent. */
export function podNetworkConformance(name: string, harness: PodNetworkHarness): void {
  describe(`PodNetwork conformance: ${name}`, () => {
    let network: PodNetwork;
    beforeEach(async () => {
      network = await harness.create();
    });
    afterEach(async () => {
      await network.close();
      await harness.cleanup?.();
    });

    it('attaches two pods with distinct addresses and tears them down twice without error', async () => {
      const a = await network.setup(request(1));
      const b = await network.setup(request(2));
      expect(a.ips.length).toBeGreaterThan(0);
      expect(a.ips[0]).not.toBe(b.ips[0]);
      expect(a.netnsPath).not.toBe(b.netnsPath);
      for (const [n, att] of [[1, a], [2, b]] as const) {
        await network.teardown({ ...request(n), netnsPath: att.netnsPath });
        await network.teardown({ ...request(n), netnsPath: att.netnsPath });
      }
      expect(typeof (await network.status()).ready).toBe('boolean');
    });
  });
}

// runCriConformance against a private containerd 1.6 (its own root, state, socket, CNI bridge
// and cgroup parent, from @shimkit/test-bed), pulling from a local registry. Where containerd
// departs from the CRI's contract, the suite's KNOWN_DEVIATIONS skip the case by name.
import { connect, isCriError } from '@shimkit/cri-types';
import { leftovers, pushTestImages, startContainerd, startRegistry, type Containerd, type Registry, type TestImages } from '@shimkit/test-bed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KNOWN_DEVIATIONS, runCriConformance } from '../../src/conformance/cri-conformance.js';

let registry: Registry | undefined;
let images: TestImages;
let containerd: Containerd | undefined;

beforeAll(async () => {
  registry = await startRegistry();
  images = await pushTestImages(registry);
  containerd = await startContainerd({ registry, pauseImage: images.pause.reference });
}, 180_000);

afterAll(async () => {
  try {
    if (containerd !== undefined) {
      // the suite removed every pod it made (containerd's close would hide a leak)
      const cri = await connect(containerd.endpoint, { defaultTimeoutMs: 30_000 });
      try {
        expect((await cri.runtime.listPodSandbox({})).items).toEqual([]);
        expect((await cri.runtime.listContainers({})).containers).toEqual([]);
      } finally {
        await cri.close();
      }
      await containerd.close();
      expect(await leftovers(containerd.id)).toEqual({ processes: [], mounts: [], netns: [], interfaces: [], iptables: [], files: [], cgroups: [] });
    }
  } finally {
    await containerd?.close();
    await registry?.close();
  }
}, 60_000);

const started = (): Containerd => {
  if (containerd === undefined) throw new Error('containerd did not start');
  return containerd;
};

runCriConformance({
  name: 'containerd 1.6',
  endpoint: () => started().endpoint,
  image: () => images.busybox.reference,
  pod: () => ({ linux: { cgroupParent: started().cgroupParent } }),
});

// The skips are only honest while containerd really departs: these fail once it no longer does.
describe('containerd 1.6 still departs from the CRI contract where KNOWN_DEVIATIONS says', () => {
  it('lists exactly the cases checked below', () => {
    expect(Object.keys(KNOWN_DEVIATIONS['containerd'] ?? {}).sort()).toEqual(['container-events', 'sandbox-stop-removed']);
  });

  it('answers StopPodSandbox of a removed pod with NotFound', async () => {
    const cri = await connect(started().endpoint, { defaultTimeoutMs: 60_000 });
    try {
      const uid = `deviation-${process.pid}`;
      const config = { metadata: { name: uid, namespace: 'cri-conformance', uid, attempt: 0 }, linux: { cgroupParent: started().cgroupParent } };
      const { podSandboxId } = await cri.runtime.runPodSandbox({ config });
      await cri.runtime.stopPodSandbox({ podSandboxId });
      await cri.runtime.removePodSandbox({ podSandboxId });
      await expect(cri.runtime.stopPodSandbox({ podSandboxId })).rejects.toSatisfy((e: unknown) => isCriError(e, 'NotFound'));
    } finally {
      await cri.close();
    }
  });

  it('answers GetContainerEvents with Unimplemented', async () => {
    const cri = await connect(started().endpoint, { defaultTimeoutMs: 60_000 });
    try {
      const read = async (): Promise<void> => {
        for await (const _ of cri.runtime.getContainerEvents({})) return;
      };
      await expect(read()).rejects.toSatisfy((e: unknown) => isCriError(e, 'Unimplemented'));
    } finally {
      await cri.close();
    }
  });
});

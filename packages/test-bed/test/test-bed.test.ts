import { describe, expect, it } from 'vitest';
import { grpcProbe } from '../src/grpc-probe.js';
import { isClean, isTestBedError, leftovers, startTestBed } from '../src/index.js';

describe('startTestBed', () => {
  it('starts registry, images and containerd together and closes them all', async () => {
    const bed = await startTestBed();
    try {
      expect(bed.images.pause.reference).toBe(`${bed.registry.host}/pause:latest`);
      expect((await grpcProbe(bed.containerd.socket, '/runtime.v1.RuntimeService/Version')).status).toBe(0);
    } finally {
      await bed.close();
    }
    await bed.close();
    expect(isClean(await leftovers(bed.containerd.id))).toBe(true);
    expect(isClean(await leftovers(bed.registry.id))).toBe(true);
  });

  it('stops early on an aborted signal', async () => {
    const err = await startTestBed({ signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(isTestBedError(err, 'ABORTED')).toBe(true);
  });
});

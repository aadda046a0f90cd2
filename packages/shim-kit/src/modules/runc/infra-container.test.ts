import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PodSandboxConfig } from '@shimkit/cri-types';
import { afterEach, describe, expect, it } from 'vitest';
import { infraSpec } from './infra-container.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function specFor(cgroupDriver: 'systemd' | 'cgroupfs', cgroupParent: string): Promise<string | undefined> {
  const rootfs = await mkdtemp(join(tmpdir(), 'shimkit-infra-'));
  dirs.push(rootfs);
  const config = { metadata: { name: 'p', namespace: 'n', uid: 'u', attempt: 0 }, linux: { cgroupParent } } as PodSandboxConfig;
  const spec = await infraSpec({
    id: 'abc', config, rootfs, imageConfig: { config: { Entrypoint: ['/pause'] } } as never, namespaces: { network: '/run/netns/x' }, hostname: 'p', cgroupDriver, oomScoreAdj: -998,
  });
  return spec.linux?.cgroupsPath;
}

describe('infraSpec', () => {
  it('puts the infra container in kubelet\'s cgroup parent: a path for cgroupfs, slice:prefix:id for systemd', async () => {
    expect(await specFor('cgroupfs', '/kubepods/besteffort/podu')).toBe('/kubepods/besteffort/podu/abc');
    expect(await specFor('cgroupfs', '')).toBe('/shimkit/abc');
    // kubelet sends the whole slice path; runc wants the last slice and expands it itself
    expect(await specFor('systemd', '/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podu.slice')).toBe('kubepods-besteffort-podu.slice:shimkit:abc');
    expect(await specFor('systemd', '')).toBe('system.slice:shimkit:abc');
    await expect(specFor('systemd', '/kubepods/besteffort')).rejects.toThrow(/not a systemd slice/);
  });
});

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { CRUN_CGROUP_V1 } from '@shimkit/test-bed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withBusyboxWorkload } from '../../conformance/runtime-backend/busybox-workload.js';
import { runtimeBackendConformance } from '../../conformance/runtime-backend-conformance.js';
import { createRuncTestBed, type RuncTestBed } from './runc-test-bed.test-helper.js';

// crun 1.8 refuses this host's hybrid cgroup layout; like an operator would, give it a mount
// namespace without the cgroup2 mount (test-bed's CRUN_CGROUP_V1). The backend is unchanged.

let bed: RuncTestBed;
let crun: string;
const root = (): string => join(bed.state, 'crun');

beforeAll(async () => {
  bed = await createRuncTestBed('crun');
  crun = CRUN_CGROUP_V1;
});
afterAll(async () => {
  const left = await bed.leftovers();
  const containers = execFileSync(crun, ['--root', root(), 'list', '-q'], { encoding: 'utf8' }).trim();
  await bed.close();
  expect({ ...left, containers }).toEqual({ containers: '', conmons: [], mounts: [] });
});

runtimeBackendConformance('RuncConmonBackend with crun', {
  create: async () => bed.backend({ runtime: crun, runtimeRoot: root() }),
  container: async (id, sandbox, workload) => ({ spec: withBusyboxWorkload(bed.spec(id, sandbox, []), workload), rootfs: bed.rootfs, logPath: join(bed.logs, `${id}.log`) }),
});

describe('RuncConmonBackend with crun as an extra runtime handler', () => {
  it('runs a pod of handler "crun" with crun and the default handler with runc', async () => {
    const backend = bed.backend({ handlers: { crun: { binary: crun, root: root() } } });
    try {
      expect((await backend.info()).handlers.map((h) => h.name)).toEqual(['', 'crun']);
      const ids: string[] = [];
      for (const handler of ['crun', '']) {
        const sb = bed.id('sb');
        const info = await backend.runSandbox({ id: sb, config: bed.podConfig(sb), runtimeHandler: handler });
        const id = bed.id('ctr');
        await backend.createContainer({ id, sandboxId: sb, spec: bed.spec(id, info, ['sleep', '3600']), rootfs: bed.rootfs, logPath: '' });
        await backend.startContainer(id);
        expect((await backend.execSync(id, { cmd: ['echo', handler] })).stdout.toString()).toBe(`${handler}\n`);
        ids.push(sb, id);
      }
      const [crunSandbox, crunContainer, runcSandbox, runcContainer] = ids;
      expect(execFileSync(crun, ['--root', root(), 'list', '-q'], { encoding: 'utf8' }).trim()).toBe(crunContainer);
      expect((await bed.leftovers()).containers).toEqual([runcContainer]);
      for (const id of [crunContainer, runcContainer]) await backend.removeContainer(id ?? '');
      for (const id of [crunSandbox, runcSandbox]) await backend.removeSandbox(id ?? '');
    } finally {
      await backend.close();
    }
  });
});

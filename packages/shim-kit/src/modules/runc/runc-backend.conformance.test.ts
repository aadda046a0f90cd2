import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { withBusyboxWorkload } from '../../conformance/runtime-backend/busybox-workload.js';
import { runtimeBackendConformance } from '../../conformance/runtime-backend-conformance.js';
import { createRuncTestBed, type RuncTestBed } from './runc-test-bed.test-helper.js';

let bed: RuncTestBed;
beforeAll(async () => {
  bed = await createRuncTestBed('conf');
});
afterAll(async () => {
  const left = await bed.leftovers();
  await bed.close();
  expect(left).toEqual({ containers: [], conmons: [], mounts: [] });
});

runtimeBackendConformance('RuncConmonBackend', {
  create: async () => bed.backend(),
  container: async (id, sandbox, workload) => ({ spec: withBusyboxWorkload(bed.spec(id, sandbox, []), workload), rootfs: bed.rootfs, logPath: join(bed.logs, `${id}.log`) }),
});

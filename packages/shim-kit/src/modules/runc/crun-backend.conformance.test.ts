import { execFileSync } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { runtimeBackendConformance } from '../../conformance/runtime-backend-conformance.js';
import { createRuncTestBed, type RuncTestBed } from './runc-test-bed.test-helper.js';

// crun 1.8 refuses this host's hybrid cgroup layout; like an operator would, give it a mount
// namespace without the cgroup2 mount (see runc-driver's README). The backend is unchanged.
const WRAPPER = `#!/bin/sh\nexec unshare --mount --propagation private sh -c 'umount -l /sys/fs/cgroup/unified 2>/dev/null; exec crun "$@"' crun "$@"\n`;

let bed: RuncTestBed;
let crun: string;
const root = (): string => join(bed.state, 'crun');

beforeAll(async () => {
  bed = await createRuncTestBed('crun');
  crun = join(bed.dir, 'crun-v1');
  await writeFile(crun, WRAPPER);
  await chmod(crun, 0o755);
});
afterAll(async () => {
  const left = await bed.leftovers();
  const containers = execFileSync(crun, ['--root', root(), 'list', '-q'], { encoding: 'utf8' }).trim();
  await bed.close();
  expect({ ...left, containers }).toEqual({ containers: '', conmons: [], mounts: [] });
});

runtimeBackendConformance('RuncConmonBackend with crun', {
  create: async () => bed.backend({ runtime: crun, runtimeRoot: root() }),
  container: async (id, sandbox) => ({ spec: bed.spec(id, sandbox, ['sleep', '3600']), rootfs: bed.rootfs, logPath: join(bed.logs, `${id}.log`) }),
});

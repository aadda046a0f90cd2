// runCriConformance against `shimkit serve` (the CLI, started here) on this file's own bed:
// registry, CNI bridge and /24, cgroup parent and dirs; nothing may be left after. It runs twice:
// on the default handler (runc) and on a `crun` handler of the same shim.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CRUN_CGROUP_V1 } from '@shimkit/test-bed';
import { afterAll, beforeAll, expect, vi } from 'vitest';
import { runCriConformance } from '../../src/conformance/cri-conformance.js';
import { E2eBed, EMPTY_LEFTOVERS } from './e2e-bed.js';

const MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
// crun 1.8 refuses this host's hybrid cgroup layout unless the cgroup2 mount is out of its sight

let bed: E2eBed;
let crun: { binary: string; root: string };
let serve: ChildProcess | undefined;
let output = '';

beforeAll(async () => {
  await access(MAIN).catch(() => {
    throw new Error(`${MAIN} is missing: build shimkit first (npx tsc -b)`);
  });
  bed = await E2eBed.start();
  crun = { binary: CRUN_CGROUP_V1, root: join(bed.state, 'crun') };
  const defaults = bed.defaults();
  const config = join(bed.dir, 'shimkit.json');
  await writeFile(config, JSON.stringify({ ...defaults, runtime: { ...defaults.runtime, handlers: { crun } } }));
  const child = spawn(process.execPath, [MAIN, 'serve', '--socket', bed.socket, '--root', bed.root, '--state', bed.state, '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  serve = child;
  for (const stream of [child.stdout, child.stderr]) stream?.on('data', (d: Buffer) => (output += d.toString()));
  await vi.waitFor(() => expect(output).toContain('shimkit serving'), { timeout: 30_000, interval: 50 });
}, 180_000);

afterAll(async () => {
  if (serve !== undefined && serve.exitCode === null && serve.signalCode === null) {
    const exited = new Promise((resolve) => serve?.once('exit', resolve));
    serve.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    if (serve.exitCode === null && serve.signalCode === null) serve.kill('SIGKILL');
  }
  try {
    if (bed !== undefined) expect(await bed.leftovers()).toEqual(EMPTY_LEFTOVERS);
    if (crun !== undefined) expect(execFileSync(crun.binary, ['--root', crun.root, 'list', '-q'], { encoding: 'utf8' }).trim(), 'crun containers').toBe('');
  } finally {
    await bed?.destroy();
  }
}, 60_000);

for (const runtimeHandler of ['', 'crun']) {
  runCriConformance({
    name: 'shimkit serve',
    runtimeHandler,
    endpoint: () => `unix://${bed.socket}`,
    image: () => bed.images.busybox.reference,
    pod: () => ({ linux: { cgroupParent: bed.cgroupParent } }),
  });
}

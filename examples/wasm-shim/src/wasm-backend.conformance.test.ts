// shimkit's RuntimeBackend conformance suite on WasmBackend: real runners, real cgroups, a rootfs
// directory with the compiled workloads. Each workload of the suite is a module of ../workloads.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RuntimeSpec } from '@shimkit/oci-spec';
import { runtimeBackendConformance, type ConformanceWorkload } from 'shimkit/conformance';
import { afterAll, beforeAll, expect, vi } from 'vitest';
import { WASM_HANDLER, WasmBackend } from './wasm-backend.js';
import { removeCgroupParent } from './cgroup/remove-cgroup-parent.test-helper.js';
import { buildWorkloads } from './wasm-workloads.test-helper.js';

const tag = `${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;
const cgroupParent = `/wasmconf-conformance-${tag}`;
// grow.wasm grows to 256 MiB; the runner itself (a Node process) needs about 40 MiB of this
const OOM_LIMIT_BYTES = 64 * 1024 * 1024;
let work = '';
let rootfs = '';

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'wasmconf-conformance-'));
  rootfs = join(work, 'rootfs');
  await buildWorkloads(rootfs);
});
afterAll(async () => {
  // the suite removes every container it made; their runners and the warm ones must be gone
  await vi.waitFor(async () => expect(await runnersOf(work)).toEqual([]), { timeout: 5000, interval: 100 });
  await removeCgroupParent(cgroupParent);
  await rm(work, { recursive: true, force: true });
});

/** Runner processes working for a container under `dir`, and warm runners waiting for one. */
async function runnersOf(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes('wasm-runner') && (cmdline.includes(dir) || !cmdline.includes('.json'))) found.push(cmdline.split('\0').join(' '));
  }
  return found;
}

/** The module and arguments that do `workload`. */
export function wasmWorkloadArgs(workload: ConformanceWorkload): string[] {
  switch (workload.kind) {
    // a module cannot handle SIGTERM (WASI preview 1 has no signals): the cases that need it are skipped
    case 'sleep':
    case 'trap':
      return ['/exit-with.wasm', '0', '3600000'];
    case 'exit':
      return [
        '/exit-with.wasm',
        String(workload.exitCode),
        String(workload.delayMs ?? 0),
        ...(workload.stdout === undefined ? [] : ['1', workload.stdout]),
        ...(workload.stderr === undefined ? [] : ['2', workload.stderr]),
      ];
    case 'oom':
      return ['/grow.wasm'];
    case 'spin':
      return ['/loop.wasm'];
  }
}

function spec(id: string, workload: ConformanceWorkload): RuntimeSpec {
  const memory = workload.kind === 'oom' ? { memory: { limit: OOM_LIMIT_BYTES, swap: OOM_LIMIT_BYTES } } : {};
  return {
    ociVersion: '1.0.2',
    process: { args: wasmWorkloadArgs(workload), cwd: '/', env: [], user: { uid: 0, gid: 0 } },
    root: { path: 'rootfs' },
    linux: { cgroupsPath: `${cgroupParent}/${id}`, resources: { ...memory } },
  } as RuntimeSpec;
}

runtimeBackendConformance('WasmBackend', {
  create: async () => new WasmBackend({ state: join(work, 'state') }),
  runtimeHandler: WASM_HANDLER,
  container: async (id, _sandbox, workload = { kind: 'sleep' }) => ({ spec: spec(id, workload), rootfs, logPath: join(work, 'logs', `${id}.log`) }),
  skip: {
    'stop-signal': 'WASI preview 1 has no signals: a module cannot handle SIGTERM, which ends its runner (exit 143)',
    'stop-timeout':
      'WASI preview 1 has no signals: a module cannot ignore SIGTERM, so the stop signal ends it before any timeout (the SIGKILL after the timeout is tested in wasm-backend.test.ts with a signal the runner ignores)',
  },
});

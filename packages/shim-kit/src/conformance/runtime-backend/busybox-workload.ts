import type { RuntimeSpec } from '@shimkit/oci-spec';
import type { ConformanceWorkload } from './harness.js';

/** Memory limit the `oom` workload gets (it allocates about six times this). */
export const OOM_WORKLOAD_LIMIT_BYTES = 16 * 1024 * 1024;

const quote = (text: string): string => `'${text.replaceAll("'", `'\\''`)}'`;

/** The command line that does `workload` with busybox's shell and applets. */
export function busyboxWorkloadArgs(workload: ConformanceWorkload = { kind: 'sleep' }): string[] {
  switch (workload.kind) {
    case 'sleep':
      // an ignored signal stays ignored across exec, so this holds whether or not sleep is PID 1
      return ['sh', '-c', "trap '' TERM; exec sleep 3600"];
    case 'trap':
      // the sleep runs in the background so the trapped signal ends `wait` at once
      return ['sh', '-c', `trap 'exit ${workload.exitCode}' TERM; while :; do sleep 3600 & wait $!; done`];
    case 'spin':
      return ['sh', '-c', 'while :; do :; done'];
    case 'oom':
      return ['sh', '-c', `x=$(head -c ${OOM_WORKLOAD_LIMIT_BYTES * 6} /dev/zero | tr '\\0' a); echo survived`];
    case 'exit': {
      const steps: string[] = [];
      if (workload.stdout !== undefined) steps.push(`echo ${quote(workload.stdout)}`);
      if (workload.stderr !== undefined) steps.push(`echo ${quote(workload.stderr)} >&2`);
      if (workload.delayMs !== undefined) steps.push(`sleep ${(workload.delayMs / 1000).toFixed(3)}`);
      steps.push(`exit ${workload.exitCode}`);
      return ['sh', '-c', steps.join('; ')];
    }
  }
}

/** A copy of `spec` whose process does `workload` (with the memory limit the `oom` workload needs). */
export function withBusyboxWorkload(spec: RuntimeSpec, workload: ConformanceWorkload = { kind: 'sleep' }): RuntimeSpec {
  const out = structuredClone(spec);
  out.process = { cwd: '/', user: { uid: 0, gid: 0 }, ...out.process, args: busyboxWorkloadArgs(workload) };
  if (workload.kind === 'oom') {
    const memory = { limit: OOM_WORKLOAD_LIMIT_BYTES, swap: OOM_WORKLOAD_LIMIT_BYTES };
    out.linux = { ...out.linux, resources: { ...out.linux?.resources, memory } };
  }
  return out;
}

import { basename } from 'node:path';
import type { HostHelper, RunnerJob } from '@shimkit/host-helper';
import type { ShimTracer } from './tracer.js';

/**
 * The host helper with a span around every program it runs (`exec runc`, `exec conmon`,
 * `exec bridge` ...): runc, conmon and CNI plugins all start from it, so their spans are
 * children of the runtime or CNI operation that ran them.
 */
export function tracedHostHelper(helper: HostHelper, tracer: ShimTracer): HostHelper {
  const run = (job: RunnerJob): ReturnType<HostHelper['run']> => {
    const program = basename(job.argv[0] ?? '');
    const cniCommand = job.env?.CNI_COMMAND;
    const attributes = { 'process.executable.name': program, 'process.command_line': job.argv.join(' '), ...(cniCommand === undefined ? {} : { 'cni.command': cniCommand }) };
    return tracer.inSpan({ name: `exec ${program}`, attributes }, () => helper.run(job));
  };
  return new Proxy(helper, {
    get: (target, key) => {
      if (key === 'run') return run;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
